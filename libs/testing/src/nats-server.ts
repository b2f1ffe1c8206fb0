import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import fs from 'node:fs';
import path from 'node:path';
import { SupervisedChild } from './child-process.js';
import { ExecutableNotFoundError, HarnessError } from './errors.js';
import { freePort } from './ports.js';
import { waitUntilReady } from './readiness.js';
import { makeScratchDir } from './scratch-dir.js';

export interface StartNatsServerOptions {
  /** JetStream store directory; a temporary one (removed when this process exits) when absent. */
  readonly storeDir?: string;
  /** A free port when absent. */
  readonly port?: number;
  /** Where the server's output goes; `<storeDir>/nats-server.log` when absent. */
  readonly logFile?: string;
  readonly readyTimeoutMs?: number;
  /** A nats-server configuration file (users and permissions: natsAccounts); the flags still apply. */
  readonly configFile?: string;
  /** Credentials the readiness probe connects with when the configuration requires them. */
  readonly probeCredentials?: string;
}

/** A nats-server with JetStream on 127.0.0.1, owned by the caller until `stop()`. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  readonly logFile: string;
  /** The current process; replaced by `start()` / `restart()`. */
  readonly child: SupervisedChild;
  /** Graceful stop (SIGTERM, then SIGKILL after 10 s). The store and port stay reserved for `start()`. */
  stop(): Promise<void>;
  /** Starts again on the same port and store; resolves once JetStream answers. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

/** Starts nats-server and resolves once a client can connect and JetStream answers. */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServer> {
  const binary = findOnPath('nats-server');
  if (!binary) throw new ExecutableNotFoundError('nats-server not found on PATH: run scripts/bootstrap');
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? makeScratchDir('nats');
  fs.mkdirSync(storeDir, { recursive: true });
  const server = new NatsServerProcess(
    binary,
    port,
    storeDir,
    options.logFile ?? path.join(storeDir, 'nats-server.log'),
    options.readyTimeoutMs ?? 20_000,
    options.configFile,
    options.probeCredentials,
  );
  await server.start();
  return server;
}

class NatsServerProcess implements NatsServer {
  readonly url: string;
  private current: SupervisedChild | undefined;

  constructor(
    private readonly binary: string,
    readonly port: number,
    readonly storeDir: string,
    readonly logFile: string,
    private readonly readyTimeoutMs: number,
    private readonly configFile: string | undefined,
    private readonly probeCredentials: string | undefined,
  ) {
    this.url = `nats://127.0.0.1:${port}`;
  }

  get child(): SupervisedChild {
    if (!this.current) throw new HarnessError('nats-server has not been started');
    return this.current;
  }

  async start(): Promise<void> {
    if (this.current?.running) return;
    const child = await SupervisedChild.spawn({
      name: `nats-server:${this.port}`,
      command: this.binary,
      args: [
        ...(this.configFile ? ['-c', this.configFile] : []),
        ...['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir],
      ],
      logFile: this.logFile,
    });
    this.current = child;
    await waitUntilReady(child, () => jetStreamAnswers(this.url, this.probeCredentials), {
      what: 'answering JetStream requests',
      timeoutMs: this.readyTimeoutMs,
      readyLine: /Server is ready/,
    });
  }

  async stop(): Promise<void> {
    await this.current?.stop('SIGTERM', 10_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

async function jetStreamAnswers(url: string, credentials: string | undefined): Promise<void> {
  const nc = await connect({
    servers: url,
    reconnect: false,
    timeout: 1_000,
    ...(credentials
      ? {
          authenticator: nkeyAuthenticator(
            new TextEncoder().encode(fs.readFileSync(credentials, 'utf8').trim()),
          ),
        }
      : {}),
  });
  try {
    const reply = await nc.request('$JS.API.INFO', undefined, { timeout: 1_000 });
    const info = reply.json<{ error?: { description?: string } }>();
    if (info.error)
      throw new HarnessError(`JetStream not ready: ${info.error.description ?? 'unknown error'}`);
  } finally {
    await nc.close();
  }
}

// Debian installs nats-server in /usr/sbin, which a non-root PATH usually lacks.
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin'];

function findOnPath(command: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), ...SBIN_DIRS]) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}
