// The launcher behind `scripts/stack` and `npm start`: runs the whole mesh on this machine.
//   up      start detached (a daemon running `run`), wait for .aimass/stack.env, print it
//   run     start in the foreground until Ctrl-C / SIGTERM
//   down    stop a detached stack and everything it started; fine when nothing runs
//   status  show whether a stack runs, what answers, and its trainer nodes
//   add trainer [--pool cpu|gpu]  start one more trainer node in the running stack
// State lives in <repo>/.aimass unless --state-dir says otherwise. --services-dir DIR runs
// DIR/<name>.js instead of services/<name>/dist/main.js (the launcher's own tests use fixtures).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatEnvFile, readEnvFile, withServiceProcessEnv } from '@aimass/config';
import type { trainerv1 } from '@aimass/contracts';
import { mintWithKeyFile, SERVICE_GRANTS, STACK_SIGNING_KEY_ENTRY } from '@aimass/auth';
import { channelCredentials, createMeshClient } from '@aimass/grpc/client';
import {
  checkGrpcHealth,
  freePort,
  grpcAddressKey,
  MESH_ENV_KEYS,
  portIsFree,
  repoRoot,
  SERVICE_NAMES,
  startMesh,
  type Mesh,
} from '@aimass/testing';
import {
  fileTail,
  readRecordedProcesses,
  recordProcess,
  stackPaths,
  stillRunning,
  writeFileAtomic,
  type RecordedProcess,
  type StackPaths,
} from './stack-state.js';

const UP_TIMEOUT_MS = 120_000;
const DAEMON_STOP_TIMEOUT_MS = 60_000;

const say = (message: string) => process.stderr.write(`[aimass] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The daemon of the stack described by the state files, when it still runs. */
function runningDaemon(paths: StackPaths): RecordedProcess | undefined {
  const daemon = readRecordedProcesses(paths.pidsFile).find((p) => p.name === 'daemon');
  if (daemon && stillRunning(daemon)) return daemon;
  const pid = Number(readEnvFile(paths.envFile)?.AIMASS_STACK_PID);
  const fromEnv = { pid, startTime: '', name: 'daemon' };
  return Number.isInteger(pid) && pid > 0 && !daemon && stillRunning(fromEnv) ? fromEnv : undefined;
}

interface LaunchOptions {
  readonly servicesDir?: string;
  /** Always free ports, never the documented defaults (tests that run beside a developer's stack). */
  readonly freePorts?: boolean;
  /** Run without authentication (the default is the embedded issuer, unless AIMASS_AUTH_JWKS names another). */
  readonly noAuth?: boolean;
  /** TLS on gRPC and NATS with a development CA kept in <state>/tls. */
  readonly tls?: boolean;
}

async function up(paths: StackPaths, launch: LaunchOptions): Promise<number> {
  const running = runningDaemon(paths);
  if (running && fs.existsSync(paths.envFile)) {
    say(`the stack already runs (pid ${running.pid}); its settings:`);
    process.stdout.write(fs.readFileSync(paths.envFile, 'utf8'));
    return 0;
  }
  if (running) {
    say(`a stack daemon (pid ${running.pid}) is still starting or stopping; run scripts/stack down first`);
    return 1;
  }
  await killLeftovers(paths);
  fs.mkdirSync(paths.logDir, { recursive: true });
  const logOffset = fs.existsSync(paths.daemonLog) ? fs.statSync(paths.daemonLog).size : 0;
  const logFd = fs.openSync(paths.daemonLog, 'a');
  const args = [import.meta.filename, 'run', '--daemon', '--state-dir', paths.stateDir];
  if (launch.servicesDir) args.push('--services-dir', launch.servicesDir);
  if (launch.freePorts) args.push('--free-ports');
  if (launch.noAuth) args.push('--no-auth');
  if (launch.tls) args.push('--tls');
  const daemon = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    cwd: paths.root,
    env: process.env,
  });
  fs.closeSync(logFd);
  daemon.unref();
  let exit: string | undefined;
  daemon.once(
    'exit',
    (code, signal) => (exit = signal ? `was killed by ${signal}` : `exited with code ${code}`),
  );
  daemon.once('error', (err) => (exit = `could not start: ${err.message}`));

  say(`starting the stack (daemon pid ${daemon.pid}, log ${paths.daemonLog})`);
  const deadline = Date.now() + UP_TIMEOUT_MS;
  while (!exit && Date.now() < deadline && !fs.existsSync(paths.envFile)) await sleep(200);
  if (!exit && fs.existsSync(paths.envFile)) {
    say(`stack up; settings in ${paths.envFile}`);
    process.stdout.write(fs.readFileSync(paths.envFile, 'utf8'));
    return 0;
  }
  if (!exit) await down(paths, true);
  say(`the stack did not come up: the daemon ${exit ?? `was not ready after ${UP_TIMEOUT_MS / 1000} s`}`);
  process.stderr.write(`--- last lines of ${paths.daemonLog} ---\n${fileTail(paths.daemonLog, logOffset)}\n`);
  return 1;
}

async function run(paths: StackPaths, launch: LaunchOptions): Promise<number> {
  const running = runningDaemon(paths);
  if (running && running.pid !== process.pid) {
    say(`a stack already runs (pid ${running.pid}); run scripts/stack down first`);
    return 1;
  }
  await killLeftovers(paths);
  fs.mkdirSync(paths.logDir, { recursive: true });
  fs.writeFileSync(paths.pidsFile, '');
  recordProcess(paths.pidsFile, 'daemon', process.pid);

  // First signal: orderly stop. A second one (not the echo of the same Ctrl-C that npm or the
  // shell forwards a moment later) forces: exiting SIGKILLs every child (teardown.ts).
  let firstSignalAt = 0;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt && Date.now() - firstSignalAt > 1_000) {
        say(`${signal} again: killing everything`);
        process.exit(130);
      }
      firstSignalAt ||= Date.now();
      resolve(signal);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  });

  let mesh: Mesh;
  try {
    const { servicesDir } = launch;
    mesh = await startMesh({
      stateDir: paths.stateDir,
      preferDefaultPorts: !launch.freePorts,
      otlpEndpoint: process.env.AIMASS_OTLP_ENDPOINT || undefined,
      extraEnv: passThroughSettings(),
      // An external issuer (AIMASS_AUTH_JWKS set by the caller) replaces the embedded one; its
      // tokens, the services' AIMASS_AUTH_TOKEN included, come from that issuer.
      auth: !launch.noAuth && !process.env.AIMASS_AUTH_JWKS,
      // Each service its own NATS user, limited to its own subjects; stack.env names the `client` user.
      natsAuth: !launch.noAuth,
      tls: launch.tls ?? false,
      serviceScript: servicesDir ? (name) => path.join(servicesDir, `${name}.js`) : undefined,
      onSpawn: (name, pid) => {
        recordProcess(paths.pidsFile, name, pid);
        say(`${name} up (pid ${pid})`);
      },
    });
  } catch (err) {
    say(`the stack did not start: ${err instanceof Error ? err.message : String(err)}`);
    fs.rmSync(paths.pidsFile, { force: true });
    return 1;
  }
  if (firstSignalAt === 0) {
    writeFileAtomic(
      paths.envFile,
      formatEnvFile({
        ...mesh.env,
        ...(mesh.auth ? { [STACK_SIGNING_KEY_ENTRY]: mesh.auth.signingKeyFile } : {}),
        AIMASS_STACK_PID: String(process.pid),
      }),
    );
    process.stdout.write(formatEnvFile(mesh.env));
    say(`stack up (pid ${process.pid}); settings in ${paths.envFile}, logs in ${paths.logDir}`);
    for (const service of mesh.services.values()) {
      void service.child.exited.then((status) => {
        if (firstSignalAt === 0)
          say(
            `${service.name} exited unexpectedly (${status.signal ?? `code ${status.code}`}); see ${service.child.logFile}`,
          );
      });
    }
  }
  const signal = await stopRequested;
  say(`${signal}: stopping the stack`);
  await mesh.stop();
  fs.rmSync(paths.envFile, { force: true });
  fs.rmSync(paths.pidsFile, { force: true });
  say('stack stopped');
  return 0;
}

/** The caller's own AIMASS_* settings (e.g. AIMASS_LOG_LEVEL) reach the services; addresses do not. */
function passThroughSettings(): Record<string, string> {
  const skip = new Set([...MESH_ENV_KEYS, 'AIMASS_STACK_PID']);
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith('AIMASS_') && !skip.has(e[0]) && e[1] !== undefined,
    ),
  );
}

async function down(paths: StackPaths, quiet = false): Promise<number> {
  const daemon = runningDaemon(paths);
  // Nodes added with `add` are not the daemon's children: they get the same orderly stop first.
  const added = readRecordedProcesses(paths.pidsFile).filter((p) => addedNodeAddress(p) && stillRunning(p));
  for (const node of added) {
    if (!quiet) say(`stopping ${node.name} (pid ${node.pid})`);
    process.kill(node.pid, 'SIGTERM');
  }
  const nodesDeadline = Date.now() + DAEMON_STOP_TIMEOUT_MS / 4;
  while (added.some(stillRunning) && Date.now() < nodesDeadline) await sleep(100);
  if (daemon) {
    if (!quiet) say(`stopping the stack (pid ${daemon.pid})`);
    process.kill(daemon.pid, 'SIGTERM');
    const deadline = Date.now() + DAEMON_STOP_TIMEOUT_MS;
    while (stillRunning(daemon) && Date.now() < deadline) await sleep(100);
    if (stillRunning(daemon)) {
      say(`the daemon did not stop within ${DAEMON_STOP_TIMEOUT_MS / 1000} s: killing it`);
      process.kill(daemon.pid, 'SIGKILL');
    }
  }
  const killed = await killLeftovers(paths);
  fs.rmSync(paths.envFile, { force: true });
  if (!quiet) say(daemon || killed > 0 ? 'stack stopped' : 'no stack was running');
  return 0;
}

/** SIGKILLs every recorded process that still runs (a daemon that crashed leaves its children). */
async function killLeftovers(paths: StackPaths): Promise<number> {
  const leftovers = readRecordedProcesses(paths.pidsFile).filter(stillRunning);
  for (const proc of leftovers) {
    say(`killing leftover ${proc.name} (pid ${proc.pid})`);
    for (const target of [-proc.pid, proc.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Not a group leader, or already gone.
      }
    }
  }
  const deadline = Date.now() + 10_000;
  while (leftovers.some(stillRunning) && Date.now() < deadline) await sleep(50);
  fs.rmSync(paths.pidsFile, { force: true });
  return leftovers.length;
}

async function status(paths: StackPaths): Promise<number> {
  const daemon = runningDaemon(paths);
  const env = readEnvFile(paths.envFile);
  if (!daemon || !env) {
    say(
      daemon
        ? `a stack daemon (pid ${daemon.pid}) runs but is not ready yet; see ${paths.daemonLog}`
        : 'no stack is running',
    );
    return 1;
  }
  say(`stack running (pid ${daemon.pid}); settings in ${paths.envFile}, logs in ${paths.logDir}`);
  const portOf = (url: string | undefined) => Number(/:(\d+)\/?$/.exec(url ?? '')?.[1]);
  for (const [name, key] of [
    ['nats', 'AIMASS_NATS_URL'],
    ['s3', 'AIMASS_S3_ENDPOINT'],
  ] as const) {
    const listening = !(await portIsFree(portOf(env[key])));
    process.stdout.write(`${name.padEnd(10)} ${env[key]} ${listening ? 'listening' : 'NOT LISTENING'}\n`);
  }
  for (const name of SERVICE_NAMES) {
    const address = env[grpcAddressKey(name)];
    if (!address) continue;
    const health = await checkGrpcHealth(address, { caFile: env.AIMASS_TLS_CA || undefined }).catch(
      (err: Error) => `unreachable (${err.message})`,
    );
    process.stdout.write(`${name.padEnd(10)} ${address} ${health}\n`);
  }
  const nodes = [
    env.AIMASS_TRAINER_GRPC,
    ...readRecordedProcesses(paths.pidsFile)
      .filter(stillRunning)
      .map(addedNodeAddress)
      .filter((a) => a !== undefined),
  ].filter((a): a is string => Boolean(a));
  const key = env[STACK_SIGNING_KEY_ENTRY];
  const token = key ? await mintWithKeyFile(key, 'stack-status', ['train'], 300) : undefined;
  const rows = await Promise.all(nodes.map((address) => describeNode(address, token, env.AIMASS_TLS_CA)));
  process.stdout.write(
    `\n${['TRAINER NODE', 'ADDRESS', 'POOL', 'BACKEND', 'ACTIVE JOBS'].join('  ')}\n${rows.join('\n')}\n`,
  );
  return 0;
}

/** One line per trainer node from its GetNode: id, address, pool, backend, active jobs of its concurrency. */
async function describeNode(address: string, token: string | undefined, ca = ''): Promise<string> {
  const client = createMeshClient<trainerv1.TrainerServiceClient>(
    'trainer',
    address,
    {},
    token,
    channelCredentials({ ca }),
  );
  try {
    const node = await new Promise<trainerv1.TrainerNode__Output>((resolve, reject) =>
      client.GetNode({}, { deadline: Date.now() + 5_000 }, (err, n) =>
        err || !n ? reject(err ?? new Error('no answer')) : resolve(n),
      ),
    );
    return [node.id, address, node.pool, node.backend, `${node.active_jobs}/${node.concurrency}`].join('  ');
  } catch (err) {
    return `?  ${address}  unreachable (${(err as Error).message})`;
  } finally {
    client.close();
  }
}

const ADDED_NODE = /^trainer@(127\.0\.0\.1:\d+)$/;

/** The gRPC address of a node `add` started, from its recorded name (`trainer@ADDRESS`). */
function addedNodeAddress(proc: RecordedProcess): string | undefined {
  return ADDED_NODE.exec(proc.name)?.[1];
}

/**
 * Starts one more trainer node beside the running stack, with the stack's addresses and its own
 * free gRPC and HTTP ports, detached and recorded so `down` stops it; waits until it serves.
 */
async function add(
  paths: StackPaths,
  launch: LaunchOptions,
  what: string | undefined,
  pool: string,
): Promise<number> {
  if (what !== 'trainer') {
    process.stderr.write(`stack: add takes one service kind: trainer\n${USAGE}`);
    return 2;
  }
  if (pool !== 'cpu' && pool !== 'gpu') {
    process.stderr.write(`stack: --pool must be cpu or gpu, not ${pool}\n${USAGE}`);
    return 2;
  }
  const env = readEnvFile(paths.envFile);
  if (!runningDaemon(paths) || !env) {
    say('no stack is running; start one with scripts/stack up');
    return 1;
  }
  const address = `127.0.0.1:${await freePort()}`;
  const { AIMASS_STACK_PID: _pid, [STACK_SIGNING_KEY_ENTRY]: key, ...meshEnv } = env;
  const nodeEnv = {
    ...(key
      ? {
          AIMASS_AUTH_TOKEN: await mintWithKeyFile(
            key,
            'service:trainer',
            SERVICE_GRANTS.trainer ?? [],
            30 * 24 * 3600,
          ),
        }
      : {}),
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIMASS_'))),
    ...passThroughSettings(),
    ...meshEnv,
    // stack.env names the `client` NATS user; a trainer node connects as `trainer` (same folder).
    ...(meshEnv.AIMASS_NATS_CREDENTIALS
      ? { AIMASS_NATS_CREDENTIALS: path.join(path.dirname(meshEnv.AIMASS_NATS_CREDENTIALS), 'trainer.nk') }
      : {}),
    AIMASS_TRAINER_GRPC: address,
    AIMASS_TRAINER_HTTP: `http://127.0.0.1:${await freePort()}`,
    AIMASS_TRAINER_POOL: pool,
  };
  const script = launch.servicesDir
    ? path.join(launch.servicesDir, 'trainer.js')
    : path.join(paths.root, 'services', 'trainer', 'dist', 'main.js');
  fs.mkdirSync(paths.logDir, { recursive: true });
  const log = path.join(paths.logDir, `trainer-${address.split(':')[1]}.log`);
  const logFd = fs.openSync(log, 'a');
  const child = spawn(process.execPath, [script], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    cwd: paths.root,
    env: withServiceProcessEnv(nodeEnv),
  });
  fs.closeSync(logFd);
  child.unref();
  let exit: string | undefined;
  child.once(
    'exit',
    (code, signal) => (exit = signal ? `was killed by ${signal}` : `exited with code ${code}`),
  );
  child.once('error', (err) => (exit = `could not start: ${err.message}`));
  if (child.pid) recordProcess(paths.pidsFile, `trainer@${address}`, child.pid);
  const deadline = Date.now() + UP_TIMEOUT_MS / 2;
  while (!exit && Date.now() < deadline) {
    if (
      (await checkGrpcHealth(address, { caFile: meshEnv.AIMASS_TLS_CA || undefined }).catch(
        () => 'UNKNOWN',
      )) === 'SERVING'
    ) {
      say(`trainer node up on ${address}, pool ${pool} (pid ${child.pid}, log ${log})`);
      process.stdout.write(`${address}\n`);
      return 0;
    }
    await sleep(200);
  }
  if (!exit && child.pid) process.kill(child.pid, 'SIGKILL');
  say(`the trainer node did not start: it ${exit ?? `was not serving after ${UP_TIMEOUT_MS / 2000} s`}`);
  process.stderr.write(`--- last lines of ${log} ---\n${fileTail(log)}\n`);
  return 1;
}

const USAGE = `usage: scripts/stack [up|run|down|status|add trainer] [--state-dir DIR (default .aimass)] [--free-ports] [--no-auth] [--tls]
  up           start nats-server, the S3 endpoint and the five services detached; writes .aimass/stack.env
  run          the same in the foreground, until Ctrl-C
  down         stop everything up and add started
  status       what runs and whether it answers, and the trainer nodes with their pool, backend and jobs
  add trainer  start one more trainer node in the running stack [--pool cpu|gpu (default cpu)]
Authentication is on by default: the stack keeps a signing key in <state>/auth, the services verify
bearer tokens against it, and the CLI mints its own from it (aimass auth token mints others).
Each service connects to NATS as its own user (nkeys in <state>/nats-auth), allowed only its own
subjects; stack.env names the client user (the CLI's), operator.nk there has no limits.
--tls turns TLS on for gRPC and NATS, with a development CA made in <state>/tls (stack.env names
it as AIMASS_TLS_CA, which the CLI and your clients trust).
--no-auth turns both off; AIMASS_AUTH_JWKS (with _ISSUER, _AUDIENCE) points the services at another issuer.
`;

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'state-dir': { type: 'string' },
        'services-dir': { type: 'string' },
        daemon: { type: 'boolean' },
        'free-ports': { type: 'boolean' },
        'no-auth': { type: 'boolean' },
        tls: { type: 'boolean' },
        pool: { type: 'string', default: 'cpu' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`stack: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const servicesDir = values['services-dir'];
  const launch: LaunchOptions = {
    ...(servicesDir ? { servicesDir: path.resolve(servicesDir) } : {}),
    freePorts: values['free-ports'] ?? false,
    noAuth: values['no-auth'] ?? false,
    tls: values.tls ?? false,
  };
  const stateDir = values['state-dir'] ? path.resolve(values['state-dir']) : undefined;
  const paths = stackPaths(repoRoot(), stateDir);
  const command = positionals[0] ?? 'up';
  switch (command) {
    case 'up':
      return up(paths, launch);
    case 'run':
      return run(paths, launch);
    case 'down':
      return down(paths);
    case 'status':
      return status(paths);
    case 'add':
      return add(paths, launch, positionals[1], values.pool ?? 'cpu');
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`stack: unknown command ${command}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(`stack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
