import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// A service started with a setting it cannot use stops at once, before it connects to anything,
// with exit code 2 and a message naming the setting and its value.

const ROOT = path.resolve(import.meta.dirname, '../..');

async function start(
  service: string,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const entry = path.join(ROOT, 'services', service, 'dist', 'main.js');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIMASS_')));
  try {
    await promisify(execFile)(process.execPath, [entry], { env: { ...inherited, ...env }, timeout: 30_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('a bad setting', () => {
  it.each([
    ['registry', 'AIMASS_REGISTRY_MAX_PAGE_SIZE', '0'],
    ['trainer', 'AIMASS_NATS_URL', 'not a url'],
    ['tuner', 'AIMASS_LOG_LEVEL', 'loud'],
    ['inference', 'AIMASS_INFERENCE_MAX_BATCH_SIZE', 'abc'],
    ['monitor', 'AIMASS_MONITOR_GRPC', 'localhost'],
  ])('stops %s with exit code 2, naming %s', async (service, key, value) => {
    const { code, stderr } = await start(service, { [key]: value });
    expect(code).toBe(2);
    expect(stderr).toContain(`aimass-${service}: invalid configuration`);
    expect(stderr).toContain(key);
  });

  // Encryption at rest: a service that would seal without a usable master key does not start.
  it.each([
    ['inference', { AIMASS_ENCRYPTION: 'true' }, 'AIMASS_ENCRYPTION is on, but there is no master key'],
    [
      'trainer',
      { AIMASS_ENCRYPTION: 'true', AIMASS_MASTER_KEY_FILE: '/nonexistent/master.key' },
      'AIMASS_MASTER_KEY_FILE /nonexistent/master.key cannot be read',
    ],
    [
      'registry',
      { AIMASS_ENCRYPTION: 'true', AIMASS_MASTER_KEY: Buffer.alloc(16).toString('base64') },
      'AIMASS_MASTER_KEY',
    ],
  ])('stops %s with exit code 2 when encryption has no usable key (%o)', async (service, env, message) => {
    const { code, stderr } = await start(service, env);
    expect(code).toBe(2);
    expect(stderr).toContain(`aimass-${service}: invalid configuration`);
    expect(stderr).toContain(message);
  });
});
