import { connect } from '@nats-io/transport-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixtureServices } from './fixtures/service-scripts.js';
import { checkGrpcHealth } from './grpc-health.js';
import { startMesh, type Mesh } from './mesh.js';
import { processAlive } from './process-table.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-mesh-spec-'));
const healthy = writeFixtureServices(path.join(tmp, 'healthy'));
const trainerFails = writeFixtureServices(path.join(tmp, 'trainer-fails'), ['trainer']);
const meshes: Mesh[] = [];
afterAll(async () => {
  await Promise.all(meshes.map((mesh) => mesh.stop()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ADDRESS_KEYS = [
  'AIMASS_REGISTRY_GRPC',
  'AIMASS_TRAINER_GRPC',
  'AIMASS_TUNER_GRPC',
  'AIMASS_INFERENCE_GRPC',
  'AIMASS_MONITOR_GRPC',
];
const URL_KEYS = [
  'AIMASS_S3_ENDPOINT',
  'AIMASS_REGISTRY_HTTP',
  'AIMASS_TRAINER_HTTP',
  'AIMASS_TUNER_HTTP',
  'AIMASS_INFERENCE_METRICS_HTTP',
  'AIMASS_MONITOR_HTTP',
];

function environOf(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

describe('startMesh', () => {
  it('starts nats, s3 and the chosen services on distinct loopback ports, restarts one, and stops all', async () => {
    const stateDir = path.join(tmp, 'state');
    const mesh = await startMesh({
      stateDir,
      services: ['inference', 'registry'],
      serviceScript: (name) => path.join(healthy, `${name}.js`),
      otlpEndpoint: 'http://127.0.0.1:4318',
      extraEnv: { AIMASS_LOG_LEVEL: 'debug' },
    });
    meshes.push(mesh);

    expect(Object.keys(mesh.env).sort()).toEqual(
      [
        ...ADDRESS_KEYS,
        ...URL_KEYS,
        'AIMASS_NATS_URL',
        'AIMASS_S3_ACCESS_KEY',
        'AIMASS_S3_SECRET_KEY',
        'AIMASS_OTLP_ENDPOINT',
        'AIMASS_LOG_LEVEL',
      ].sort(),
    );
    for (const key of ADDRESS_KEYS) expect(mesh.env[key]).toMatch(/^127\.0\.0\.1:\d+$/);
    for (const key of URL_KEYS) expect(mesh.env[key]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mesh.env.AIMASS_NATS_URL).toBe(mesh.nats.url);
    expect(mesh.env.AIMASS_S3_ENDPOINT).toBe(mesh.s3.endpoint);
    const ports = [...ADDRESS_KEYS, ...URL_KEYS, 'AIMASS_NATS_URL']
      .map((key) => /:(\d+)$/.exec(mesh.env[key] ?? '')?.[1])
      .filter(Boolean);
    expect(ports).toHaveLength(12);
    expect(new Set(ports).size).toBe(12);

    expect([...mesh.services.keys()]).toEqual(['registry', 'inference']);
    expect(await checkGrpcHealth(mesh.env.AIMASS_REGISTRY_GRPC as string)).toBe('SERVING');
    expect(await checkGrpcHealth(mesh.env.AIMASS_INFERENCE_GRPC as string)).toBe('SERVING');
    await expect(checkGrpcHealth(mesh.env.AIMASS_TRAINER_GRPC as string)).rejects.toMatchObject({ code: 14 });
    const registryEnv = environOf(mesh.services.get('registry')!.child.pid);
    expect(registryEnv).toContain(`AIMASS_NATS_URL=${mesh.nats.url}`);
    expect(registryEnv).toContain('AIMASS_OTLP_ENDPOINT=http://127.0.0.1:4318');
    expect(registryEnv).toContain('AIMASS_LOG_LEVEL=debug');

    const nc = await connect({ servers: mesh.env.AIMASS_NATS_URL });
    await nc.close();
    for (const log of ['nats-server.log', 's3.log', 'registry.log', 'inference.log']) {
      expect(fs.existsSync(path.join(stateDir, 'logs', log))).toBe(true);
    }

    const oldRegistry = mesh.services.get('registry')!.child.pid;
    const restarted = await mesh.restartService('registry');
    expect(restarted.child.pid).not.toBe(oldRegistry);
    expect(processAlive(oldRegistry)).toBe(false);
    expect(await checkGrpcHealth(restarted.address)).toBe('SERVING');

    const pids = mesh.pids();
    expect(pids).toHaveLength(4);
    await mesh.stop();
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    await expect(mesh.stop()).resolves.toBeUndefined();
  });

  it('stops everything it started when a service fails to come up', async () => {
    const spawned: [string, number][] = [];
    const error = await startMesh({
      stateDir: path.join(tmp, 'failing'),
      services: ['registry', 'trainer', 'tuner'],
      serviceScript: (name) => path.join(trainerFails, `${name}.js`),
      onSpawn: (name, pid) => spawned.push([name, pid]),
    }).catch((err: unknown) => err as Error);
    expect(error).toMatchObject({ name: 'ProcessStartError', processName: 'trainer' });
    expect((error as Error).message).toContain('refusing to start');
    expect(spawned.map(([name]) => name)).toEqual(['nats-server', 's3', 'registry']);
    for (const [, pid] of spawned) expect(processAlive(pid)).toBe(false);
  });
});
