import { SERVICES, withServiceProcessEnv } from '@aimass/config';
import fs from 'node:fs';
import path from 'node:path';
import { SupervisedChild } from './child-process.js';
import { HarnessError, NotBuiltError } from './errors.js';
import { checkGrpcHealth } from './grpc-health.js';
import { waitUntilReady } from './readiness.js';
import { repoRoot } from './repo-root.js';

export { SERVICE_NAMES, type ServiceName } from '@aimass/config';

export interface StartServiceOptions {
  /** The log goes to `<logDir>/<name>.log`. */
  readonly logDir: string;
  /** Entry script; `services/<name>/dist/main.js` when absent. */
  readonly script?: string;
  readonly cwd?: string;
  /** How long the gRPC health check may take to report SERVING. */
  readonly readyTimeoutMs?: number;
}

/** A started service: its process and the gRPC address it answers health checks on. */
export interface ServiceProcess {
  readonly name: string;
  /** host:port, the value of `AIMASS_<NAME>_GRPC`. */
  readonly address: string;
  readonly child: SupervisedChild;
}

/** `AIMASS_REGISTRY_GRPC` for 'registry' (SERVICES in libs/config); a name outside it follows the same rule. */
export function grpcAddressKey(name: string): string {
  return (
    SERVICES.find((s) => s.name === name)?.grpc.key ?? `AIMASS_${name.toUpperCase().replace(/-/g, '_')}_GRPC`
  );
}

/**
 * Spawns `node <script>` with `env` over this process's environment minus its AIMASS_* settings
 * (a test's mesh must not inherit a developer's exported stack.env), plus the process settings every
 * service runs with (SERVICE_PROCESS_ENV in libs/config), and resolves once gRPC health
 * reports SERVING at `env[AIMASS_<NAME>_GRPC]`. An early exit or a timeout rejects with the log tail
 * and leaves nothing running.
 */
export async function startService(
  name: string,
  env: Readonly<Record<string, string>>,
  options: StartServiceOptions,
): Promise<ServiceProcess> {
  const key = grpcAddressKey(name);
  const address = env[key];
  if (!address) throw new HarnessError(`startService(${name}): env has no ${key}`);
  const script = options.script ?? path.join(repoRoot(), 'services', name, 'dist', 'main.js');
  if (!fs.existsSync(script))
    throw new NotBuiltError(`${name}: ${script} does not exist: run the build first`);
  const child = await SupervisedChild.spawn({
    name,
    command: process.execPath,
    args: [script],
    env: withServiceProcessEnv({ ...inheritedEnv(), ...env }),
    cwd: options.cwd ?? repoRoot(),
    logFile: path.join(options.logDir, `${name}.log`),
  });
  await waitUntilReady(
    child,
    async () => {
      const status = await checkGrpcHealth(address, { caFile: env.AIMASS_TLS_CA || undefined });
      if (status !== 'SERVING') throw new HarnessError(`gRPC health is ${status}`);
    },
    {
      what: `SERVING gRPC health on ${address}`,
      timeoutMs: options.readyTimeoutMs ?? 60_000,
      intervalMs: 200,
    },
  );
  return { name, address, child };
}

function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AIMASS_')));
}
