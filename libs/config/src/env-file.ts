import fs from 'node:fs';

// KEY=VALUE files that bash sources and Node reads alike (`.aimass/stack.env`: `scripts/stack up`
// writes it, the CLI and the e2e tests read it). The parser accepts only what bash would assign
// literally, so both sides always agree on every value; anything bash would expand or treat as
// syntax is refused with the line number instead of being read differently.

/** An env file cannot be read, is not KEY=VALUE lines, or a record cannot be written as one. */
export class EnvFileError extends Error {
  override readonly name = 'EnvFileError';
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses shell `KEY=VALUE` lines as bash would assign them: blank lines and `#` comments are
 * skipped, `export ` is allowed, values may be bare, 'single-quoted' (with the '\'' idiom) or
 * "double-quoted". Later lines win. `source` names the file in error messages.
 */
export function parseEnvFile(text: string, source: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match)
      throw new EnvFileError(
        `${source} line ${index + 1}: expected KEY=VALUE, got ${JSON.stringify(rawLine)}`,
      );
    try {
      env[match[1] as string] = shellWord(match[2] as string);
    } catch (err) {
      throw new EnvFileError(`${source} line ${index + 1}: ${(err as Error).message}`, { cause: err });
    }
  });
  return env;
}

/** Characters that end or redirect a command when unquoted; bash would not assign them. */
const METACHARACTERS = ';&|<>()';

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
    } else if (c === '~' && (i === 0 || raw[i - 1] === ':')) {
      throw new Error('tilde expansion is not supported; quote the ~');
    } else if (METACHARACTERS.includes(c)) {
      throw new Error(`unquoted ${JSON.stringify(c)} in value; quote it`);
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** The file's variables, or undefined when it does not exist. */
export function readEnvFile(file: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EnvFileError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseEnvFile(text, file);
}

/** Values made only of these need no quotes, for bash and for parseEnvFile alike. */
const PLAIN_VALUE = /^[A-Za-z0-9_./:@,+=-]*$/;

/** Bash-sourceable KEY=VALUE lines that parseEnvFile reads back exactly; values are single-quoted only when they need it. */
export function formatEnvFile(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([key, value]) => {
      if (!KEY.test(key))
        throw new EnvFileError(
          `cannot write ${JSON.stringify(key)} to an env file: not a shell variable name`,
        );
      if (/[\r\n\0]/.test(value))
        throw new EnvFileError(`cannot write ${key} to an env file: its value holds a line break or NUL`);
      return `${key}=${PLAIN_VALUE.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`}`;
    })
    .join('\n')
    .concat('\n');
}
