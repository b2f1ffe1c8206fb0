import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvFileError, formatEnvFile, parseEnvFile, readEnvFile } from './env-file.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-env-file-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What bash assigns to K when it sources `text`: the reference parseEnvFile must agree with. */
function bashValue(text: string): string {
  const file = path.join(tmp, 'shell-check.env');
  fs.writeFileSync(file, text);
  const shell = spawnSync('bash', ['-c', `set -a; source ${JSON.stringify(file)}; printf %s "$K"`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: '/home/x' },
  });
  expect(shell.status).toBe(0);
  return shell.stdout;
}

describe('parseEnvFile', () => {
  it.each([
    ['a bare value', 'K=127.0.0.1:50051', '127.0.0.1:50051'],
    ['an empty value', 'K=', ''],
    ['a single-quoted value with spaces', "K='a b'", 'a b'],
    ['the quote idiom formatEnvFile writes', "K='it'\\''s'", "it's"],
    ['a literal dollar inside single quotes', "K='$HOME'", '$HOME'],
    ['a quoted tilde', "K='~/x'", '~/x'],
    ['a double-quoted value with escapes', 'K="say \\"hi\\" \\\\ \\$5"', 'say "hi" \\ $5'],
    ['an export prefix', 'export K=v', 'v'],
    ['a trailing comment', 'K=v   # the registry', 'v'],
    ['a backslash escape', 'K=a\\ b', 'a b'],
  ])('reads %s as bash does', (_what, line, value) => {
    expect(parseEnvFile(`${line}\n`, 'stack.env')).toEqual({ K: value });
    expect(bashValue(`${line}\n`)).toBe(value);
  });

  it('skips blank lines and comments, and later lines win', () => {
    expect(parseEnvFile('# written by scripts/stack up\n\nA=1\r\nB=2\nA=3\n', 'stack.env')).toEqual({
      A: '3',
      B: '2',
    });
  });

  it.each([
    ['a line without =', 'JUST_A_WORD', /^stack.env line 2: expected KEY=VALUE/],
    ['an invalid key', '1KEY=v', /line 2: expected KEY=VALUE/],
    ['an unterminated quote', "K='open", /line 2: unterminated single quote/],
    ['unquoted whitespace', 'K=a b', /line 2: unquoted whitespace in value/],
    ['a variable expansion', 'K=$HOME/x', /line 2: variable and command expansion are not supported/],
    [
      'a command substitution in double quotes',
      'K="`id`"',
      /line 2: variable and command expansion are not supported/,
    ],
    ['a tilde bash would expand', 'K=~/x', /line 2: tilde expansion is not supported/],
    ['a tilde after a colon', 'K=/a:~/x', /line 2: tilde expansion is not supported/],
    ['a command separator', 'K=a;b', /line 2: unquoted ";" in value/],
    ['a redirection', 'K=a>b', /line 2: unquoted ">" in value/],
  ])('refuses %s with the file and line number', (_what, line, message) => {
    const attempt = () => parseEnvFile(`OK=1\n${line}\n`, 'stack.env');
    expect(attempt).toThrow(EnvFileError);
    expect(attempt).toThrow(message);
  });
});

describe('formatEnvFile', () => {
  it.each([
    ['a URL', 'http://127.0.0.1:8090', 'K=http://127.0.0.1:8090'],
    ['host:port', '127.0.0.1:50051', 'K=127.0.0.1:50051'],
    ['an empty value', '', 'K='],
    ['spaces', 'a b', "K='a b'"],
    ['a single quote', "it's", "K='it'\\''s'"],
    ['a dollar sign', '$HOME', "K='$HOME'"],
    ['a tilde', '~/x', "K='~/x'"],
    ['shell syntax', 'a;b|c&(d)', "K='a;b|c&(d)'"],
  ])('writes %s so bash and parseEnvFile read it back', (_what, value, line) => {
    const text = formatEnvFile({ K: value });
    expect(text).toBe(`${line}\n`);
    expect(parseEnvFile(text, 'stack.env')).toEqual({ K: value });
    expect(bashValue(text)).toBe(value);
  });

  it.each([
    ['a key that is no shell variable name', { 'A-B': 'v' }, /"A-B" .*not a shell variable name/],
    ['a value with a line break', { K: 'a\nb' }, /K .*line break/],
  ])('refuses %s', (_what, env, message) => {
    expect(() => formatEnvFile(env)).toThrow(EnvFileError);
    expect(() => formatEnvFile(env)).toThrow(message);
  });
});

describe('readEnvFile', () => {
  it('reads a file by its path and names it in errors', () => {
    const file = path.join(tmp, 'stack.env');
    fs.writeFileSync(file, formatEnvFile({ A: '1', B: 'x y' }));
    expect(readEnvFile(file)).toEqual({ A: '1', B: 'x y' });
    fs.writeFileSync(file, 'A=$B\n');
    expect(() => readEnvFile(file)).toThrow(
      `${file} line 1: variable and command expansion are not supported`,
    );
  });

  it('reads a missing file as undefined and refuses one it cannot read', () => {
    expect(readEnvFile(path.join(tmp, 'absent.env'))).toBeUndefined();
    expect(() => readEnvFile(tmp)).toThrow(EnvFileError);
    expect(() => readEnvFile(tmp)).toThrow(/cannot read .*EISDIR/);
  });
});
