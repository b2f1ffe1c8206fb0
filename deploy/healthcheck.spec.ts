import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { httpKey } from '../libs/config/src/config.js';
import { SERVICE_NAMES } from '../libs/config/src/services.js';
import { SETTINGS } from '../libs/config/src/settings.js';
import { DEFAULT_HTTP, healthUrl, httpKeyOf } from './healthcheck.mjs';

const SCRIPT = join(__dirname, 'healthcheck.mjs');

function runProbe(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolveRun({ code, stderr }));
  });
}

describe('deploy/healthcheck.mjs', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  async function serve(status: number): Promise<number> {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end();
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return (server.address() as AddressInfo).port;
  }

  it('uses the same env key and default URL as libs/config for every service', () => {
    for (const svc of SERVICE_NAMES) {
      expect(httpKeyOf(svc)).toBe(httpKey(svc));
      expect(DEFAULT_HTTP[svc]).toBe(SETTINGS.find((s) => s.key === httpKey(svc))!.default);
    }
    expect(Object.keys(DEFAULT_HTTP).sort()).toEqual([...SERVICE_NAMES].sort());
  });

  it('probes a wildcard listen address over loopback', () => {
    expect(healthUrl('monitor', { AIMASS_MONITOR_HTTP: 'http://0.0.0.0:8090' })).toBe(
      'http://127.0.0.1:8090/healthz',
    );
    expect(healthUrl('inference', {})).toBe('http://127.0.0.1:8002/healthz');
  });

  it('exits 0 when /healthz answers 200', async () => {
    const port = await serve(200);
    const r = await runProbe({ SERVICE: 'registry', AIMASS_REGISTRY_HTTP: `http://0.0.0.0:${port}` });
    expect(r).toEqual({ code: 0, stderr: '' });
  });

  it('exits 1 and says why when /healthz answers 503', async () => {
    const port = await serve(503);
    const r = await runProbe({
      SERVICE: 'inference',
      AIMASS_INFERENCE_METRICS_HTTP: `http://127.0.0.1:${port}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('503');
  });

  it('exits 1 when nothing listens', async () => {
    const port = await serve(200);
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    const r = await runProbe({ SERVICE: 'tuner', AIMASS_TUNER_HTTP: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
  });

  it('exits 1 for an unknown SERVICE', async () => {
    const r = await runProbe({ SERVICE: 'registri' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SERVICE must be one of');
  });
});
