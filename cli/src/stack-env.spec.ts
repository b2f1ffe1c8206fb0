import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@aimass/config';
import { afterAll, describe, expect, it } from 'vitest';
import { StackEnvError } from './errors.js';
import { findRepoRoot, isHostPort, meshAddresses, parseStackEnv } from './stack-env.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-cli-stack-env-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fake workspace: <dir>/pnpm-workspace.yaml, <dir>/cli/dist, and optionally .aimass/stack.env. */
function workspace(name: string, stackEnv?: string): { root: string; start: string } {
  const root = path.join(tmp, name);
  const start = path.join(root, 'cli', 'dist');
  fs.mkdirSync(start, { recursive: true });
  fs.writeFileSync(path.join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
  if (stackEnv !== undefined) {
    fs.mkdirSync(path.join(root, '.aimass'));
    fs.writeFileSync(path.join(root, '.aimass', 'stack.env'), stackEnv);
  }
  return { root, start };
}

describe('parseStackEnv', () => {
  it.each([
    ['a bare value', 'K=127.0.0.1:50051', '127.0.0.1:50051'],
    ['an empty value', 'K=', ''],
    ['a single-quoted value with spaces', "K='a b'", 'a b'],
    ['the quote idiom formatEnv writes', "K='it'\\''s'", "it's"],
    ['a literal dollar inside single quotes', "K='$HOME'", '$HOME'],
    ['a double-quoted value with escapes', 'K="say \\"hi\\" \\\\ \\$5"', 'say "hi" \\ $5'],
    ['an export prefix', 'export K=v', 'v'],
    ['a trailing comment', 'K=v   # the registry', 'v'],
    ['a backslash escape', 'K=a\\ b', 'a b'],
  ])('reads %s as a shell would', (_what, line, value) => {
    expect(parseStackEnv(`${line}\n`)).toEqual({ K: value });
    const file = path.join(tmp, 'shell-check.env');
    fs.writeFileSync(file, `${line}\n`);
    const shell = spawnSync('bash', ['-c', `set -a; source ${JSON.stringify(file)}; printf %s "$K"`], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/home/x' } });
    expect(shell.stdout).toBe(value);
  });

  it('skips blank lines and comments, and later lines win', () => {
    expect(parseStackEnv('# written by scripts/stack up\n\nA=1\r\nB=2\nA=3\n')).toEqual({ A: '3', B: '2' });
  });

  it.each([
    ['a line without =', 'JUST_A_WORD', /stack.env line 2: expected KEY=VALUE/],
    ['an invalid key', '1KEY=v', /line 2: expected KEY=VALUE/],
    ['an unterminated quote', "K='open", /line 2: unterminated single quote/],
    ['unquoted whitespace', 'K=a b', /line 2: unquoted whitespace in value/],
    ['a variable expansion', 'K=$HOME/x', /line 2: variable and command expansion are not supported/],
    ['a command substitution in double quotes', 'K="`id`"', /line 2: variable and command expansion are not supported/],
  ])('refuses %s with the line number', (_what, line, message) => {
    const attempt = () => parseStackEnv(`OK=1\n${line}\n`);
    expect(attempt).toThrow(StackEnvError);
    expect(attempt).toThrow(message);
  });
});

describe('meshAddresses', () => {
  const stackFile = 'AIMASS_NATS_URL=nats://127.0.0.1:14222\nAIMASS_REGISTRY_GRPC=127.0.0.1:41001\nAIMASS_INFERENCE_GRPC=127.0.0.1:41004\nAIMASS_MONITOR_HTTP=http://127.0.0.1:41090\nAIMASS_STACK_PID=4242\n';
  const defaultHttp = { monitorHttp: 'http://127.0.0.1:8090', inferenceMetricsHttp: 'http://127.0.0.1:8002' };

  it('uses the defaults of @aimass/config when there is no stack.env', () => {
    const { start } = workspace('no-stack');
    expect(meshAddresses({}, start)).toEqual({ registry: '127.0.0.1:50051', inference: '127.0.0.1:8001', ...defaultHttp, stackEnvFile: undefined });
  });

  it('reads <repo>/.aimass/stack.env found by walking up from the CLI, ignoring launcher-only keys', () => {
    const { root, start } = workspace('with-stack', stackFile);
    expect(meshAddresses({}, start)).toEqual({
      registry: '127.0.0.1:41001',
      inference: '127.0.0.1:41004',
      monitorHttp: 'http://127.0.0.1:41090',
      inferenceMetricsHttp: 'http://127.0.0.1:8002',
      stackEnvFile: path.join(root, '.aimass', 'stack.env'),
    });
  });

  it('lets the process environment override stack.env, key by key', () => {
    const { start } = workspace('override', stackFile);
    const env = { AIMASS_INFERENCE_GRPC: '127.0.0.1:9999', AIMASS_STACK_PID: '1' };
    expect(meshAddresses(env, start)).toMatchObject({ registry: '127.0.0.1:41001', inference: '127.0.0.1:9999' });
  });

  it('reads the file AIMASS_STACK_ENV names instead', () => {
    const { start } = workspace('explicit', stackFile);
    const other = path.join(tmp, 'other.env');
    fs.writeFileSync(other, "AIMASS_REGISTRY_GRPC='127.0.0.2:1'\n");
    expect(meshAddresses({ AIMASS_STACK_ENV: other }, start)).toEqual({ registry: '127.0.0.2:1', inference: '127.0.0.1:8001', ...defaultHttp, stackEnvFile: other });
  });

  it('says so when AIMASS_STACK_ENV names a missing file', () => {
    const { start } = workspace('explicit-missing');
    expect(() => meshAddresses({ AIMASS_STACK_ENV: path.join(tmp, 'absent.env') }, start)).toThrow(/AIMASS_STACK_ENV=.*absent.env: no such file/);
  });

  it('reports a malformed address from the environment as a configuration error', () => {
    const { start } = workspace('bad-address');
    expect(() => meshAddresses({ AIMASS_REGISTRY_GRPC: 'registry' }, start)).toThrow(ConfigError);
    expect(() => meshAddresses({ AIMASS_REGISTRY_GRPC: 'registry' }, start)).toThrow(/AIMASS_REGISTRY_GRPC .*expected host:port/);
  });

  it('finds no repo root outside a workspace', () => {
    expect(findRepoRoot(os.tmpdir())).toBeUndefined();
    expect(findRepoRoot(path.join(workspace('nested').root, 'cli', 'dist'))).toBe(path.join(tmp, 'nested'));
  });
});

describe('isHostPort', () => {
  it.each([
    ['127.0.0.1:50051', true],
    ['localhost:8001', true],
    ['[::1]:8001', true],
    ['127.0.0.1', false],
    ['127.0.0.1:', false],
    ['127.0.0.1:65536', false],
    ['http://127.0.0.1:8001', false],
    ['a b:1', false],
  ])('%s -> %s', (value, ok) => {
    expect(isHostPort(value)).toBe(ok);
  });
});
