import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SupervisedChild } from './child-process.js';
import { checkGrpcHealth, waitForGrpcHealth } from './grpc-health.js';
import { freePort } from './ports.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'dist', 'fixtures', 'health-server.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-health-spec-'));
const started: SupervisedChild[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((child) => child.stop()));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function fixture(env: Record<string, string>): Promise<string> {
  const address = `127.0.0.1:${await freePort()}`;
  const child = await SupervisedChild.spawn({
    name: 'health-fixture',
    command: process.execPath,
    args: [FIXTURE],
    env: { ...process.env, AIMASS_FIXTURE_GRPC: address, ...env },
    logFile: path.join(tmp, 'fixture.log'),
  });
  started.push(child);
  return address;
}

describe('waitForGrpcHealth', () => {
  it('resolves once a server that starts late reports SERVING', async () => {
    const address = await fixture({ FIXTURE_DELAY_MS: '700' });
    await expect(checkGrpcHealth(address)).rejects.toMatchObject({ code: 14 });
    const begun = Date.now();
    await waitForGrpcHealth(address, { timeoutMs: 10_000, intervalMs: 50 });
    expect(Date.now() - begun).toBeLessThan(5_000);
    expect(await checkGrpcHealth(address)).toBe('SERVING');
  });

  it('times out naming the last status when the server is NOT_SERVING', async () => {
    const address = await fixture({ FIXTURE_STATUS: 'NOT_SERVING' });
    await expect(waitForGrpcHealth(address, { timeoutMs: 1_500 })).rejects.toMatchObject({
      name: 'HealthTimeoutError',
      message: expect.stringMatching(/not SERVING after 1500 ms \(last: status NOT_SERVING\)/),
    });
  });

  it('times out when nothing listens', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    await expect(waitForGrpcHealth(address, { timeoutMs: 800 })).rejects.toMatchObject({
      name: 'HealthTimeoutError',
    });
  });
});
