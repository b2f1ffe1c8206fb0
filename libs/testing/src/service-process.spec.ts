import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { processAlive } from './process-table.js';
import { checkGrpcHealth } from './grpc-health.js';
import { freePort } from './ports.js';
import { grpcAddressKey, startService, type ServiceProcess } from './service-process.js';

const FIXTURE = path.resolve(import.meta.dirname, '..', 'dist', 'fixtures', 'health-server.js');
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-service-spec-'));
const started: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.child.stop()));
});
afterAll(() => fs.rmSync(logDir, { recursive: true, force: true }));

describe('startService', () => {
  it('resolves once gRPC health is SERVING, without the parent’s AIMASS_* settings', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    process.env.AIMASS_LEAKED_SETTING = 'from-the-parent';
    try {
      const service = await startService(
        'fixture',
        { AIMASS_FIXTURE_GRPC: address, FIXTURE_DELAY_MS: '300' },
        { logDir, script: FIXTURE },
      );
      started.push(service);
      expect(service.address).toBe(address);
      expect(await checkGrpcHealth(address)).toBe('SERVING');
      const environ = fs.readFileSync(`/proc/${service.child.pid}/environ`, 'utf8').split('\0');
      expect(environ).toContain(`AIMASS_FIXTURE_GRPC=${address}`);
      expect(environ.some((entry) => entry.startsWith('AIMASS_LEAKED_SETTING='))).toBe(false);
      // The child's output reaches the log through a pipe and a write stream, so it can trail SERVING.
      await vi.waitFor(() =>
        expect(fs.readFileSync(path.join(logDir, 'fixture.log'), 'utf8')).toContain(
          `health SERVING on ${address}`,
        ),
      );
    } finally {
      delete process.env.AIMASS_LEAKED_SETTING;
    }
  });

  it('fails fast with the log tail when the process exits early', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const begun = Date.now();
    const error = await startService(
      'fixture',
      { AIMASS_FIXTURE_GRPC: address, FIXTURE_EXIT_CODE: '3' },
      { logDir, script: FIXTURE },
    ).catch((err: unknown) => err as Error);
    expect(Date.now() - begun).toBeLessThan(10_000);
    expect(error).toMatchObject({ name: 'ProcessStartError', processName: 'fixture' });
    expect((error as Error).message).toMatch(/exited with code 3 before SERVING gRPC health/);
    expect((error as Error).message).toContain('fixture: refusing to start as asked');
  });

  it('kills a service that never becomes SERVING', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const error = await startService(
      'fixture',
      { AIMASS_FIXTURE_GRPC: address, FIXTURE_STATUS: 'NOT_SERVING' },
      { logDir, script: FIXTURE, readyTimeoutMs: 1_500 },
    ).catch((err: unknown) => err as Error & { logTail: string });
    expect((error as Error).message).toMatch(/not SERVING gRPC health on .* after 1500 ms/);
    const headers = [
      ...fs.readFileSync(path.join(logDir, 'fixture.log'), 'utf8').matchAll(/pid (\d+) started/g),
    ];
    const pid = Number(headers.at(-1)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(processAlive(pid)).toBe(false);
  });

  it('names the missing build and the missing address', async () => {
    await expect(startService('registry', {}, { logDir })).rejects.toThrow(/env has no AIMASS_REGISTRY_GRPC/);
    await expect(
      startService('nonexistent', { [grpcAddressKey('nonexistent')]: '127.0.0.1:1' }, { logDir }),
    ).rejects.toMatchObject({ name: 'NotBuiltError' });
  });
});
