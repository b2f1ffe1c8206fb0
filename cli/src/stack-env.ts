import fs from 'node:fs';
import path from 'node:path';
import { STACK_SIGNING_KEY_ENTRY } from '@aimass/auth';
import { EnvFileError, loadConfig, readEnvFile, SETTINGS } from '@aimass/config';
import { StackEnvError } from './errors.js';

// Where the CLI dials: `.aimass/stack.env` (written by `scripts/stack up`) first, then the process
// environment, then the documented defaults of @aimass/config. --registry/--inference beat all three
// (applied by the caller).

/** Names a stack.env file explicitly, instead of <repo>/.aimass/stack.env. */
export const STACK_ENV_VARIABLE = 'AIMASS_STACK_ENV';

const SETTING_KEYS = new Set<string>(SETTINGS.map((s) => s.key));

export interface MeshAddresses {
  readonly registry: string;
  readonly inference: string;
  readonly trainer: string;
  readonly tuner: string;
  /** NATS server(s), for commands that read the event stream (`train --wait`, `jobs watch`). */
  readonly nats: string;
  /** AIMASS_NATS_CREDENTIALS: the NATS identity (the stack's `client` user); '' for none. */
  readonly natsCredentials: string;
  /** The stack.env that was read, when one was. */
  readonly stackEnvFile: string | undefined;
  /** Monitor dashboard and inference /metrics base URLs (shown by `aimass demo`). */
  readonly monitorHttp: string;
  readonly inferenceMetricsHttp: string;
  /** AIMASS_AUTH_TOKEN: the bearer token to present ('' for none). */
  readonly token: string;
  /** The running stack's signing key, when it has one (the CLI mints its own token with it). */
  readonly signingKeyFile: string | undefined;
}

/** The workspace root: the nearest directory at or above `start` holding pnpm-workspace.yaml. */
export function findRepoRoot(start: string = import.meta.dirname): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The registry and inference addresses for this invocation. `start` is where the repo root search
 * begins (this module's folder by default, so `pnpm aimass` finds <repo>/.aimass/stack.env).
 */
export function meshAddresses(
  env: NodeJS.ProcessEnv = process.env,
  start: string = import.meta.dirname,
): MeshAddresses {
  const explicit = env[STACK_ENV_VARIABLE];
  let file: string | undefined;
  if (explicit) file = path.resolve(explicit);
  else {
    const root = findRepoRoot(start);
    if (root) file = path.join(root, '.aimass', 'stack.env');
  }
  let fromFile: Record<string, string> | undefined;
  try {
    fromFile = file ? readEnvFile(file) : undefined;
  } catch (err) {
    // As a StackEnvError (a CliError) the top level prints it in one line, without a stack.
    if (err instanceof EnvFileError) throw new StackEnvError(err.message, { cause: err });
    throw err;
  }
  if (explicit && !fromFile) throw new StackEnvError(`${STACK_ENV_VARIABLE}=${explicit}: no such file`);

  const merged: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(fromFile ?? {})) if (SETTING_KEYS.has(key)) merged[key] = value;
  Object.assign(merged, env);
  const config = loadConfig(merged);
  return {
    registry: config.grpc.registry,
    inference: config.grpc.inference,
    trainer: config.grpc.trainer,
    tuner: config.grpc.tuner,
    nats: config.natsUrl,
    natsCredentials: config.natsCredentials,
    monitorHttp: config.http.monitor,
    inferenceMetricsHttp: config.http.inference,
    stackEnvFile: fromFile ? file : undefined,
    token: config.auth.token,
    signingKeyFile: fromFile?.[STACK_SIGNING_KEY_ENTRY],
  };
}

/** Validates a --registry / --inference value: host:port or [ipv6]:port. */
export function isHostPort(value: string): boolean {
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[1]) <= 65535;
}
