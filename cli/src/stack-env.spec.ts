import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@aimass/config';
import { afterAll, describe, expect, it } from 'vitest';
import { StackEnvError } from './errors.js';
import { findRepoRoot, isHostPort, meshAddresses } from './stack-env.js';

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

describe('meshAddresses', () => {
  const stackFile =
    'AIMASS_NATS_URL=nats://127.0.0.1:14222\nAIMASS_REGISTRY_GRPC=127.0.0.1:41001\nAIMASS_INFERENCE_GRPC=127.0.0.1:41004\nAIMASS_TRAINER_GRPC=127.0.0.1:41002\nAIMASS_TUNER_GRPC=127.0.0.1:41003\nAIMASS_MONITOR_HTTP=http://127.0.0.1:41090\nAIMASS_NATS_CREDENTIALS=/state/nats-auth/client.nk\nAIMASS_STACK_PID=4242\n';
  const defaultHttp = { monitorHttp: 'http://127.0.0.1:8090', inferenceMetricsHttp: 'http://127.0.0.1:8002' };

  it('uses the defaults of @aimass/config when there is no stack.env', () => {
    const { start } = workspace('no-stack');
    expect(meshAddresses({}, start)).toEqual({
      registry: '127.0.0.1:50051',
      inference: '127.0.0.1:8001',
      trainer: '127.0.0.1:50052',
      tuner: '127.0.0.1:50053',
      nats: 'nats://127.0.0.1:4222',
      natsCredentials: '',
      ...defaultHttp,
      stackEnvFile: undefined,
      token: '',
      signingKeyFile: undefined,
    });
  });

  it('reads <repo>/.aimass/stack.env found by walking up from the CLI, ignoring launcher-only keys', () => {
    const { root, start } = workspace('with-stack', stackFile);
    expect(meshAddresses({}, start)).toEqual({
      registry: '127.0.0.1:41001',
      inference: '127.0.0.1:41004',
      trainer: '127.0.0.1:41002',
      tuner: '127.0.0.1:41003',
      nats: 'nats://127.0.0.1:14222',
      natsCredentials: '/state/nats-auth/client.nk',
      monitorHttp: 'http://127.0.0.1:41090',
      inferenceMetricsHttp: 'http://127.0.0.1:8002',
      stackEnvFile: path.join(root, '.aimass', 'stack.env'),
      token: '',
      signingKeyFile: undefined,
    });
  });

  it('lets the process environment override stack.env, key by key', () => {
    const { start } = workspace('override', stackFile);
    const env = { AIMASS_INFERENCE_GRPC: '127.0.0.1:9999', AIMASS_STACK_PID: '1' };
    expect(meshAddresses(env, start)).toMatchObject({
      registry: '127.0.0.1:41001',
      inference: '127.0.0.1:9999',
    });
  });

  it('reads the file AIMASS_STACK_ENV names instead', () => {
    const { start } = workspace('explicit', stackFile);
    const other = path.join(tmp, 'other.env');
    fs.writeFileSync(
      other,
      "AIMASS_REGISTRY_GRPC='127.0.0.2:1'\nAIMASS_STACK_SIGNING_KEY=/state/auth/signing-key.json\n",
    );
    expect(meshAddresses({ AIMASS_STACK_ENV: other }, start)).toEqual({
      registry: '127.0.0.2:1',
      inference: '127.0.0.1:8001',
      trainer: '127.0.0.1:50052',
      tuner: '127.0.0.1:50053',
      nats: 'nats://127.0.0.1:4222',
      natsCredentials: '',
      ...defaultHttp,
      stackEnvFile: other,
      token: '',
      signingKeyFile: '/state/auth/signing-key.json',
    });
  });

  it('refuses a stack.env that is not KEY=VALUE lines bash would assign, naming the file and line', () => {
    const { root, start } = workspace(
      'malformed',
      'AIMASS_REGISTRY_GRPC=127.0.0.1:41001\nAIMASS_INFERENCE_GRPC=$HOST:1\n',
    );
    const attempt = () => meshAddresses({}, start);
    expect(attempt).toThrow(StackEnvError);
    expect(attempt).toThrow(
      `${path.join(root, '.aimass', 'stack.env')} line 2: variable and command expansion are not supported`,
    );
  });

  it('says so when AIMASS_STACK_ENV names a missing file', () => {
    const { start } = workspace('explicit-missing');
    expect(() => meshAddresses({ AIMASS_STACK_ENV: path.join(tmp, 'absent.env') }, start)).toThrow(
      /AIMASS_STACK_ENV=.*absent.env: no such file/,
    );
  });

  it('reports a malformed address from the environment as a configuration error', () => {
    const { start } = workspace('bad-address');
    expect(() => meshAddresses({ AIMASS_REGISTRY_GRPC: 'registry' }, start)).toThrow(ConfigError);
    expect(() => meshAddresses({ AIMASS_REGISTRY_GRPC: 'registry' }, start)).toThrow(
      /AIMASS_REGISTRY_GRPC .*expected host:port/,
    );
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
