import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS } from './index.js';

describe('loadConfig', () => {
  it('fills every setting from its default', () => {
    const config = loadConfig({});
    expect(config.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(config.grpc.inference).toBe('127.0.0.1:8001');
    expect(config.maxArtifactBytes).toBe(2 * 1024 ** 3);
    expect(config.otlpEndpoint).toBe('');
  });

  it('takes values from the environment and coerces numbers', () => {
    const config = loadConfig({ AIMASS_TRAINER_CONCURRENCY: '4', AIMASS_TRAINER_POOL: 'gpu' });
    expect(config.trainer).toEqual({ pool: 'gpu', concurrency: 4, backend: 'auto', allowCpuFallback: false });
    const named = loadConfig({ AIMASS_TRAINER_BACKEND: 'webgpu', AIMASS_TRAINER_ALLOW_CPU_FALLBACK: 'true' });
    expect(named.trainer).toMatchObject({ backend: 'webgpu', allowCpuFallback: true });
  });

  it.each([
    ['AIMASS_REGISTRY_GRPC', 'no-port', 'host:port'],
    ['AIMASS_S3_ENDPOINT', 'not a url', 'AIMASS_S3_ENDPOINT'],
    ['AIMASS_TRAINER_POOL', 'tpu', 'AIMASS_TRAINER_POOL'],
    ['AIMASS_TRAINER_CONCURRENCY', '-1', 'AIMASS_TRAINER_CONCURRENCY'],
    ['AIMASS_TRAINER_BACKEND', 'cuda', 'AIMASS_TRAINER_BACKEND'],
    ['AIMASS_TRAINER_ALLOW_CPU_FALLBACK', 'yes', 'expected true or false'],
    ['AIMASS_LOG_LEVEL', 'loud', 'AIMASS_LOG_LEVEL'],
    ['AIMASS_S3_BUCKET', 'Bad_Bucket', 'AIMASS_S3_BUCKET'],
    ['AIMASS_NO_SUCH_KEY', '1', 'unknown setting'],
    ['AIMASS_NATS_URL', 'not a url', 'expected NATS servers'],
    ['AIMASS_NATS_URL', '', 'expected NATS servers'],
    ['AIMASS_NATS_URL', 'nats://127.0.0.1:4222,http://x/y', 'expected NATS servers'],
  ])('refuses %s=%s and says why', (key, value, expected) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [key]: value })).toThrow(expected);
  });

  const KEY = Buffer.alloc(32, 7).toString('base64');
  it.each([
    [{ AIMASS_ENCRYPTION: 'true' }, 'AIMASS_ENCRYPTION is on, but there is no master key'],
    [{ AIMASS_ENCRYPTION: 'on', AIMASS_MASTER_KEY: KEY }, 'expected true or false'],
    [{ AIMASS_MASTER_KEY: Buffer.alloc(16).toString('base64') }, 'expected 32 bytes in base64'],
    [{ AIMASS_MASTER_KEY: 'not base64!' }, 'expected base64'],
    [{ AIMASS_MASTER_KEY: KEY, AIMASS_MASTER_KEY_FILE: '/k' }, 'set either it or AIMASS_MASTER_KEY'],
  ])('refuses the encryption settings %o and says why', (env, expected) => {
    expect(() => loadConfig(env)).toThrow(expected);
  });

  it.each([
    [{}, { enabled: false, masterKey: '', masterKeyFile: '' }],
    [
      { AIMASS_ENCRYPTION: 'true', AIMASS_MASTER_KEY: KEY },
      { enabled: true, masterKey: KEY, masterKeyFile: '' },
    ],
    [
      { AIMASS_ENCRYPTION: 'true', AIMASS_MASTER_KEY_FILE: '/run/secrets/key' },
      { enabled: true, masterKey: '', masterKeyFile: '/run/secrets/key' },
    ],
  ])('takes the encryption settings %o', (env, expected) => {
    expect(loadConfig(env).encryption).toEqual(expected);
  });

  it.each([
    'nats://127.0.0.1:4222',
    '127.0.0.1:4222',
    'nats://a:4222, tls://b:4223',
    'nats://user:secret@127.0.0.1:4222',
    'ws://[::1]:8080',
    'localhost',
  ])('takes AIMASS_NATS_URL=%s', (value) => {
    expect(loadConfig({ AIMASS_NATS_URL: value }).natsUrl).toBe(value);
  });

  it("takes the stack launcher's own keys, so a shell that sourced stack.env starts a service", () => {
    expect(() =>
      loadConfig({
        AIMASS_STACK_PID: '4242',
        AIMASS_STACK_ENV: '/tmp/stack.env',
        AIMASS_TRAINER_POOL: 'gpu',
      }),
    ).not.toThrow();
    expect(() => loadConfig({ AIMASS_STACKPID: '4242' })).toThrow('unknown setting');
  });

  it('reports every bad key at once', () => {
    try {
      loadConfig({ AIMASS_LOG_LEVEL: 'x', AIMASS_TRAINER_POOL: 'y' });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.key).sort()).toEqual([
        'AIMASS_LOG_LEVEL',
        'AIMASS_TRAINER_POOL',
      ]);
    }
  });

  it('has a description and a valid default for every setting', () => {
    for (const s of SETTINGS) {
      expect(s.description.length).toBeGreaterThan(5);
      expect(s.schema.safeParse(s.default).success).toBe(true);
    }
  });
});
