import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, SETTINGS } from '@aimass/config';
import { StackEnvError } from './errors.js';

// Where the CLI dials: `.aimass/stack.env` (written by `scripts/stack up`) first, then the process
// environment, then the documented defaults of @aimass/config. --registry/--inference beat all three
// (applied by the caller).

/** Names a stack.env file explicitly, instead of <repo>/.aimass/stack.env. */
export const STACK_ENV_VARIABLE = 'AIMASS_STACK_ENV';

/** Keys the stack launcher owns (AIMASS_STACK_PID, ...); they are not settings, so loadConfig never sees them. */
const LAUNCHER_KEY = /^AIMASS_STACK_/;

const SETTING_KEYS = new Set<string>(SETTINGS.map((s) => s.key));

export interface MeshAddresses {
  readonly registry: string;
  readonly inference: string;
  /** The stack.env that was read, when one was. */
  readonly stackEnvFile: string | undefined;
  /** Monitor dashboard and inference /metrics base URLs (shown by `aimass demo`). */
  readonly monitorHttp: string;
  readonly inferenceMetricsHttp: string;
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
 * Parses shell `KEY=VALUE` lines as a POSIX shell would assign them: blank lines and `#` comments
 * are skipped, `export ` is allowed, values may be bare, 'single-quoted' (with the '\'' idiom) or
 * "double-quoted". Expansions ($VAR, `cmd`) are refused rather than silently taken literally.
 */
export function parseStackEnv(text: string, source = 'stack.env'): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new StackEnvError(`${source} line ${index + 1}: expected KEY=VALUE, got ${JSON.stringify(rawLine)}`);
    try {
      env[match[1] as string] = shellWord(match[2] as string);
    } catch (err) {
      throw new StackEnvError(`${source} line ${index + 1}: ${(err as Error).message}`, { cause: err });
    }
  });
  return env;
}

function shellWord(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i] as string;
    if (c === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      out += raw.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= raw.length) throw new Error('unterminated double quote');
        const d = raw[i] as string;
        if (d === '"') break;
        if (d === '$' || d === '`') throw new Error('variable and command expansion are not supported');
        if (d === '\\' && i + 1 < raw.length && '$`"\\'.includes(raw[i + 1] as string)) {
          out += raw[i + 1];
          i += 2;
        } else {
          out += d;
          i += 1;
        }
      }
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= raw.length) throw new Error('trailing backslash');
      out += raw[i + 1];
      i += 2;
    } else if (/\s/.test(c)) {
      if (/^\s*(#.*)?$/.test(raw.slice(i))) return out;
      throw new Error('unquoted whitespace in value');
    } else if (c === '$' || c === '`') {
      throw new Error('variable and command expansion are not supported');
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** The file's variables, or undefined when it does not exist. */
export function readStackEnvFile(file: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StackEnvError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseStackEnv(text, file);
}

/**
 * The registry and inference addresses for this invocation. `start` is where the repo root search
 * begins (this module's folder by default, so `pnpm aimass` finds <repo>/.aimass/stack.env).
 */
export function meshAddresses(env: NodeJS.ProcessEnv = process.env, start: string = import.meta.dirname): MeshAddresses {
  const explicit = env[STACK_ENV_VARIABLE];
  let file: string | undefined;
  if (explicit) file = path.resolve(explicit);
  else {
    const root = findRepoRoot(start);
    if (root) file = path.join(root, '.aimass', 'stack.env');
  }
  const fromFile = file ? readStackEnvFile(file) : undefined;
  if (explicit && !fromFile) throw new StackEnvError(`${STACK_ENV_VARIABLE}=${explicit}: no such file`);

  const merged: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(fromFile ?? {})) if (SETTING_KEYS.has(key)) merged[key] = value;
  for (const [key, value] of Object.entries(env)) if (!LAUNCHER_KEY.test(key)) merged[key] = value;
  const config = loadConfig(merged);
  return {
    registry: config.grpc.registry,
    inference: config.grpc.inference,
    monitorHttp: config.http.monitor,
    inferenceMetricsHttp: config.http.inference,
    stackEnvFile: fromFile ? file : undefined,
  };
}

/** Validates a --registry / --inference value: host:port or [ipv6]:port. */
export function isHostPort(value: string): boolean {
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[1]) <= 65535;
}
