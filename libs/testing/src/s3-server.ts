import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { SupervisedChild } from './child-process.js';
import { HarnessError, NotBuiltError } from './errors.js';
import { freePort } from './ports.js';
import { waitUntilReady } from './readiness.js';
import { makeScratchDir } from './scratch-dir.js';

export interface StartS3ServerOptions {
  /** A free port when absent. */
  readonly port?: number;
  /** Bucket data; a temporary directory (removed when this process exits) when absent. */
  readonly dir?: string;
  /** Where the child's output goes; `<dir>.log` (beside, not inside, the bucket data) when absent. */
  readonly logFile?: string;
  readonly readyTimeoutMs?: number;
}

/** A local S3-compatible endpoint (s3rver) on 127.0.0.1 in a child process. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`; path-style, region us-east-1. */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly dir: string;
  readonly logFile: string;
  /** The current process; replaced by `start()`. */
  readonly child: SupervisedChild;
  /** Stops the endpoint; in-flight requests fail. Data and port stay for `start()`. */
  stop(): Promise<void>;
  /** Starts again on the same port and directory; resolves once it answers HTTP. */
  start(): Promise<void>;
}

/** s3rver accepts only this fixed key pair. */
const S3RVER_KEY = 'S3RVER';

export async function startS3Server(options: StartS3ServerOptions = {}): Promise<S3Server> {
  const main = s3ServerMainPath();
  const port = options.port ?? (await freePort());
  // Bucket data and log side by side in one scratch directory; s3rver lists every entry of its data
  // directory as a bucket, so the log cannot go inside it.
  let dir = options.dir;
  let defaultLog = `${dir}.log`;
  if (!dir) {
    const scratch = makeScratchDir('s3');
    dir = path.join(scratch, 'data');
    defaultLog = path.join(scratch, 's3rver.log');
  }
  fs.mkdirSync(dir, { recursive: true });
  const logFile = options.logFile ?? defaultLog;
  const server = new S3ServerProcess(main, port, dir, logFile, options.readyTimeoutMs ?? 20_000);
  await server.start();
  return server;
}

/** The built child entry point; tests run from src/, so this always points into dist/. */
function s3ServerMainPath(): string {
  const main = path.resolve(import.meta.dirname, '..', 'dist', 's3-server-main.js');
  if (!fs.existsSync(main)) {
    throw new NotBuiltError(
      `${main} does not exist: build libs/testing first (pnpm exec tsc -p libs/testing/tsconfig.json)`,
    );
  }
  return main;
}

class S3ServerProcess implements S3Server {
  readonly endpoint: string;
  readonly accessKey = S3RVER_KEY;
  readonly secretKey = S3RVER_KEY;
  private current: SupervisedChild | undefined;

  constructor(
    private readonly main: string,
    readonly port: number,
    readonly dir: string,
    readonly logFile: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  get child(): SupervisedChild {
    if (!this.current) throw new HarnessError('s3 server has not been started');
    return this.current;
  }

  async start(): Promise<void> {
    // A start that races a stop in progress must wait for it, or it would see the dying process
    // as running and return while nothing is about to listen.
    await this.stopping;
    if (this.current?.running) return;
    const child = await SupervisedChild.spawn({
      name: `s3rver:${this.port}`,
      command: process.execPath,
      args: [this.main, '--port', String(this.port), '--dir', this.dir],
      logFile: this.logFile,
    });
    this.current = child;
    await waitUntilReady(child, () => answersHttp(this.port), {
      what: 'answering HTTP',
      timeoutMs: this.readyTimeoutMs,
      readyLine: /^s3rver listening on /,
    });
  }

  async stop(): Promise<void> {
    const stopping = (this.stopping = this.current?.stop('SIGTERM', 5_000).then(() => undefined));
    await stopping;
  }

  private stopping: Promise<void> | undefined;
}

/** Any HTTP response counts (an unsigned request gets 403); only a connection failure does not. */
function answersHttp(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve());
    });
    req.once('timeout', () =>
      req.destroy(new HarnessError(`no HTTP answer on 127.0.0.1:${port} within 1 s`)),
    );
    req.once('error', reject);
  });
}
