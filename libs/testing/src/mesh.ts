import { SERVICES } from '@aimass/config';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { localAuthority, mintServiceToken, type LocalAuthority } from '@aimass/auth';
import { HarnessError } from './errors.js';
import { localTls } from './local-tls.js';
import { natsAccounts, type NatsAccounts } from './nats-accounts.js';
import { startNatsServer, type NatsServer } from './nats-server.js';
import { freePort, portIsFree } from './ports.js';
import { startS3Server, type S3Server } from './s3-server.js';
import { SERVICE_NAMES, startService, type ServiceName, type ServiceProcess } from './service-process.js';

export interface MeshOptions {
  /** Holds nats/ (JetStream store), s3/ (bucket data) and logs/<process>.log. */
  readonly stateDir: string;
  /** Use each documented default port when it is free (the stack launcher); else free ports (tests). */
  readonly preferDefaultPorts?: boolean;
  /** Becomes AIMASS_OTLP_ENDPOINT for every service. */
  readonly otlpEndpoint?: string;
  /** Which services to start (always in SERVICE_NAMES order); all five when absent. */
  readonly services?: readonly ServiceName[];
  /** Merged over the computed env (last wins). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Entry script per service; services/<name>/dist/main.js when absent. */
  readonly serviceScript?: (name: ServiceName) => string;
  readonly serviceReadyTimeoutMs?: number;
  /** Called after each process is up (the stack launcher records pids with it). */
  readonly onSpawn?: (name: string, pid: number) => void;
  /**
   * Turn authentication on with the embedded issuer kept in <stateDir>/auth: the services verify
   * bearer tokens against its keys and each gets its own token (SERVICE_GRANTS) for the calls it
   * makes; `mesh.auth.mint` makes tokens for clients.
   */
  readonly auth?: boolean;
  /**
   * Give every service its own NATS user (nkeys in <stateDir>/nats-auth), limited to its own
   * subjects (NATS_PERMISSIONS); connections without credentials are refused. `mesh.env` carries
   * the `client` user's credentials (what the CLI and people use); `mesh.natsCredentials('operator')`
   * has no limits.
   */
  readonly natsAuth?: boolean;
  /**
   * TLS on gRPC and NATS with a development CA made in <stateDir>/tls (localTls): the services
   * present its certificate, and every connection verifies against the CA; `mesh.env` carries
   * AIMASS_TLS_CA for clients.
   */
  readonly tls?: boolean;
  /**
   * Encryption at rest: every service gets AIMASS_ENCRYPTION=true and one master key (base64 of 32
   * bytes; `true` makes a random one), also in `mesh.env`, so each object stored is sealed.
   */
  readonly encryption?: boolean | { readonly masterKey: string };
}

/** nats + s3 + services, started in order; the caller owns it until `stop()`. */
export interface Mesh {
  /** Every AIMASS_* address of this mesh; what a client or another service needs. */
  readonly env: Readonly<Record<string, string>>;
  readonly nats: NatsServer;
  readonly s3: S3Server;
  readonly services: ReadonlyMap<ServiceName, ServiceProcess>;
  readonly logDir: string;
  /** Services in reverse start order, then s3, then nats. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the service if it runs, starts it again with the same env (with `env` over it for this
   * start only), resolves once SERVING.
   */
  restartService(name: ServiceName, env?: Readonly<Record<string, string>>): Promise<ServiceProcess>;
  /** Pids of every process the mesh currently runs. */
  pids(): number[];
  /** The issuer, when the mesh runs with authentication on. */
  readonly auth: LocalAuthority | undefined;
  /** The NATS users' credential files, when the mesh runs with natsAuth. */
  readonly natsAccounts: NatsAccounts | undefined;
}

interface Endpoint {
  readonly key: string;
  readonly defaultPort: number;
  readonly value: (port: number) => string;
}

const hostPort = (port: number) => `127.0.0.1:${port}`;
const httpUrl = (port: number) => `http://127.0.0.1:${port}`;

/**
 * The addresses a mesh hands out: nats and s3, then each service's gRPC and HTTP address from
 * SERVICES (libs/config), with its default port; order only matters for readability of stack.env.
 */
const ENDPOINTS: readonly Endpoint[] = [
  { key: 'AIMASS_NATS_URL', defaultPort: 4222, value: (port) => `nats://127.0.0.1:${port}` },
  { key: 'AIMASS_S3_ENDPOINT', defaultPort: 9000, value: httpUrl },
  ...SERVICES.map((s) => ({ key: s.grpc.key, defaultPort: s.grpc.port, value: hostPort })),
  ...SERVICES.map((s) => ({ key: s.http.key, defaultPort: s.http.port, value: httpUrl })),
];

/** The env keys a mesh computes (the stack launcher does not pass these through from its caller). */
export const MESH_ENV_KEYS: readonly string[] = [
  ...ENDPOINTS.map((e) => e.key),
  'AIMASS_S3_ACCESS_KEY',
  'AIMASS_S3_SECRET_KEY',
  'AIMASS_OTLP_ENDPOINT',
  'AIMASS_NATS_CREDENTIALS',
  'AIMASS_TLS_CA',
  'AIMASS_TLS_CERT',
  'AIMASS_TLS_KEY',
];

/** Starts nats, then s3, then the services (registry first). On failure nothing is left running. */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  const ports = await choosePorts(options.preferDefaultPorts ?? false);
  const logDir = path.join(options.stateDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const mesh = new RunningMesh(options, logDir);
  try {
    await mesh.start(ports);
  } catch (err) {
    await mesh.stop();
    throw err;
  }
  return mesh;
}

async function choosePorts(preferDefaults: boolean): Promise<Map<string, number>> {
  const chosen = new Map<string, number>();
  const taken = new Set<number>();
  for (const endpoint of ENDPOINTS) {
    let port = endpoint.defaultPort;
    if (!preferDefaults || taken.has(port) || !(await portIsFree(port))) {
      do port = await freePort();
      while (taken.has(port));
    }
    taken.add(port);
    chosen.set(endpoint.key, port);
  }
  return chosen;
}

class RunningMesh implements Mesh {
  env: Record<string, string> = {};
  private natsServer: NatsServer | undefined;
  private s3Server: S3Server | undefined;
  readonly services = new Map<ServiceName, ServiceProcess>();
  private stopping: Promise<void> | undefined;
  auth: LocalAuthority | undefined;
  natsAccounts: NatsAccounts | undefined;
  private readonly serviceTokens = new Map<ServiceName, string>();

  constructor(
    private readonly options: MeshOptions,
    readonly logDir: string,
  ) {}

  get nats(): NatsServer {
    if (!this.natsServer) throw new HarnessError('the mesh has no nats-server yet');
    return this.natsServer;
  }

  get s3(): S3Server {
    if (!this.s3Server) throw new HarnessError('the mesh has no s3 endpoint yet');
    return this.s3Server;
  }

  async start(ports: Map<string, number>): Promise<void> {
    const port = (key: string) => ports.get(key) as number;
    if (this.options.natsAuth)
      this.natsAccounts = natsAccounts(path.join(this.options.stateDir, 'nats-auth'));
    const tls = this.options.tls ? await localTls(path.join(this.options.stateDir, 'tls')) : undefined;
    this.natsServer = await startNatsServer({
      tls,
      configFile: this.natsAccounts?.configFile,
      probeCredentials: this.natsAccounts?.credentials('operator'),
      port: port('AIMASS_NATS_URL'),
      storeDir: path.join(this.options.stateDir, 'nats'),
      logFile: path.join(this.logDir, 'nats-server.log'),
    });
    this.options.onSpawn?.('nats-server', this.natsServer.child.pid);
    this.s3Server = await startS3Server({
      port: port('AIMASS_S3_ENDPOINT'),
      dir: path.join(this.options.stateDir, 's3'),
      logFile: path.join(this.logDir, 's3.log'),
    });
    this.options.onSpawn?.('s3', this.s3Server.child.pid);

    const env: Record<string, string> = {};
    for (const endpoint of ENDPOINTS) env[endpoint.key] = endpoint.value(port(endpoint.key));
    env.AIMASS_S3_ACCESS_KEY = this.s3Server.accessKey;
    env.AIMASS_S3_SECRET_KEY = this.s3Server.secretKey;
    if (tls)
      Object.assign(env, { AIMASS_TLS_CA: tls.ca, AIMASS_TLS_CERT: tls.cert, AIMASS_TLS_KEY: tls.key });
    if (this.natsAccounts) env.AIMASS_NATS_CREDENTIALS = this.natsAccounts.credentials('client');
    if (this.options.encryption) {
      env.AIMASS_ENCRYPTION = 'true';
      env.AIMASS_MASTER_KEY =
        this.options.encryption === true
          ? randomBytes(32).toString('base64')
          : this.options.encryption.masterKey;
    }
    if (this.options.otlpEndpoint) env.AIMASS_OTLP_ENDPOINT = this.options.otlpEndpoint;
    if (this.options.auth) {
      this.auth = await localAuthority(path.join(this.options.stateDir, 'auth'));
      env.AIMASS_AUTH_JWKS = this.auth.jwksFile;
      for (const name of SERVICE_NAMES) {
        const token = await mintServiceToken(this.auth, name);
        if (token) this.serviceTokens.set(name, token);
      }
    }
    this.env = { ...env, ...this.options.extraEnv };

    const wanted = new Set(this.options.services ?? SERVICE_NAMES);
    for (const name of SERVICE_NAMES) {
      if (wanted.has(name)) await this.startOne(name);
    }
  }

  async restartService(
    name: ServiceName,
    env: Readonly<Record<string, string>> = {},
  ): Promise<ServiceProcess> {
    if (this.stopping) throw new HarnessError(`cannot restart ${name}: the mesh is stopping`);
    await this.services.get(name)?.child.stop();
    this.services.delete(name);
    return this.startOne(name, env);
  }

  pids(): number[] {
    const children = [
      ...(this.natsServer ? [this.natsServer.child] : []),
      ...(this.s3Server ? [this.s3Server.child] : []),
      ...[...this.services.values()].map((service) => service.child),
    ];
    return children.filter((child) => child.running).map((child) => child.pid);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const name of [...SERVICE_NAMES].reverse())
        await this.services.get(name)?.child.stop('SIGTERM', 10_000);
      await this.s3Server?.stop();
      await this.natsServer?.stop();
    })();
    return this.stopping;
  }

  private async startOne(
    name: ServiceName,
    overrides: Readonly<Record<string, string>> = {},
  ): Promise<ServiceProcess> {
    const token = this.serviceTokens.get(name);
    const env = {
      ...this.env,
      ...(token ? { AIMASS_AUTH_TOKEN: token } : {}),
      ...(this.natsAccounts ? { AIMASS_NATS_CREDENTIALS: this.natsAccounts.credentials(name) } : {}),
      ...overrides,
    };
    const started = await startService(name, env, {
      logDir: this.logDir,
      script: this.options.serviceScript?.(name),
      readyTimeoutMs: this.options.serviceReadyTimeoutMs,
    });
    this.services.set(name, started);
    this.options.onSpawn?.(name, started.child.pid);
    return started;
  }
}
