import type { registryv1 } from '@aimass/contracts';
import {
  eventually,
  freePort,
  makeScratchDir,
  repoRoot,
  startMesh,
  SupervisedChild,
  type Mesh,
} from '@aimass/testing';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, registryClient, watchJobEvents } from './harness.js';

// The offline node bundle as an air-gapped GPU host would run it: built by `npm run bundle --
// trainer`, unpacked into an empty folder, started with no PATH (so no Node and no tools of this
// machine) in a network namespace of its own, where only its loopback exists. The mesh's NATS, S3
// and registry reach it through Unix sockets bridged to ports on that loopback; nothing else does.

const MAX_MIB = 60;
const JOB = 'e2e-bundle-offline';
const SPEC = {
  family: 'ae',
  dataset: { builtin: 'anomaly_blobs', rows: 300, features: 8 },
  architecture: { hidden: [16], latent_dim: 3 },
  epochs: 2,
  batch_size: 32,
  model_name: 'e2e-bundled',
};
/** Ports inside the namespace: the trainer's defaults (nothing else listens there). */
const INSIDE = { nats: 4222, s3: 9000, registry: 50051 };

let mesh: Mesh;
let dir: string;
let archiveMiB: number;
let unpacked: string;
let watch: Awaited<ReturnType<typeof watchJobEvents>>;
let outsider: net.Server;
let outsiderPort: number;
const children: SupervisedChild[] = [];

function tool(name: string): string {
  const found = ['/usr/bin', '/usr/sbin', '/bin', '/sbin']
    .map((d) => path.join(d, name))
    .find((p) => fs.existsSync(p));
  if (!found)
    throw new Error(
      `the bundle test needs ${name} (Debian: socat, iproute2, util-linux); scripts/bootstrap installs them`,
    );
  return found;
}

beforeAll(async () => {
  dir = makeScratchDir('trainer-bundle');
  const built = execFileSync('bash', [path.join(repoRoot(), 'scripts', 'bundle'), 'trainer'], {
    cwd: repoRoot(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [archive, mib] = (built.trim().split('\n').at(-1) as string).split(' ');
  archiveMiB = Number(mib);
  unpacked = path.join(dir, 'empty');
  fs.mkdirSync(unpacked);
  execFileSync(tool('tar'), ['-xJf', archive as string, '-C', unpacked]);

  mesh = await startMesh({ stateDir: dir, services: ['registry'] });
  watch = await watchJobEvents(mesh.env.AIMASS_NATS_URL!);
  // A port on the host's loopback that the node must not be able to reach.
  outsiderPort = await freePort();
  outsider = net.createServer((socket) => socket.end()).listen(outsiderPort, '127.0.0.1');
  const targets = {
    nats: new URL(mesh.env.AIMASS_NATS_URL!).port,
    s3: new URL(mesh.env.AIMASS_S3_ENDPOINT!).port,
    registry: mesh.env.AIMASS_REGISTRY_GRPC!.split(':')[1],
  };
  for (const [name, port] of Object.entries(targets)) {
    children.push(
      await SupervisedChild.spawn({
        name: `bridge-${name}`,
        command: tool('socat'),
        args: [`UNIX-LISTEN:${path.join(dir, `${name}.sock`)},fork,unlink-early`, `TCP:127.0.0.1:${port}`],
        logFile: path.join(dir, `bridge-${name}.log`),
      }),
    );
  }
  await eventually(
    'the bridges to listen',
    () =>
      ['nats', 's3', 'registry'].every((n) => fs.existsSync(path.join(dir, `${n}.sock`))) ? true : undefined,
    { timeoutMs: 10_000 },
  );
}, 400_000);

afterAll(async () => {
  for (const child of children.reverse()) {
    child.signal('SIGKILL');
    await child.exited;
  }
  outsider?.close();
  await watch?.nc.drain();
  await mesh?.stop();
});

describe('the offline trainer bundle', () => {
  it(`is one archive under ${MAX_MIB} MiB`, () => {
    process.stdout.write(`trainer bundle: ${archiveMiB} MiB\n`);
    expect(archiveMiB).toBeGreaterThan(20);
    expect(archiveMiB).toBeLessThan(MAX_MIB);
    expect(fs.readdirSync(unpacked)).toEqual(['aimass-trainer']);
  });

  it('runs with no PATH and no network but its loopback, and completes a training job of the mesh', async () => {
    const socat = tool('socat');
    const bridge = (name: keyof typeof INSIDE) =>
      `${socat} TCP-LISTEN:${INSIDE[name]},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:${path.join(dir, `${name}.sock`)} &`;
    const script = [
      `${tool('ip')} link set lo up || exit 3`,
      bridge('nats'),
      bridge('s3'),
      bridge('registry'),
      `if ${socat} -u OPEN:/dev/null TCP:127.0.0.1:${outsiderPort},connect-timeout=1 2>/dev/null; then echo 'network: the host loopback is reachable'; else echo 'network: isolated'; fi`,
      `exec ${path.join(unpacked, 'aimass-trainer', 'aimass-trainer')}`,
    ].join('\n');
    const asRoot = process.getuid?.() === 0;
    const node = await SupervisedChild.spawn({
      name: 'bundled-trainer',
      command: tool('unshare'),
      args: [...(asRoot ? [] : ['--map-root-user']), '--net', '--', '/bin/sh', '-c', script],
      // Nothing of this machine's environment: no PATH, no HOME, no NODE_* variables.
      env: {
        PATH: '',
        AIMASS_NATS_URL: `nats://127.0.0.1:${INSIDE.nats}`,
        AIMASS_S3_ENDPOINT: `http://127.0.0.1:${INSIDE.s3}`,
        AIMASS_S3_ACCESS_KEY: mesh.env.AIMASS_S3_ACCESS_KEY ?? 'S3RVER',
        AIMASS_S3_SECRET_KEY: mesh.env.AIMASS_S3_SECRET_KEY ?? 'S3RVER',
        AIMASS_REGISTRY_GRPC: `127.0.0.1:${INSIDE.registry}`,
        AIMASS_LOG_LEVEL: 'info',
      },
      logFile: path.join(dir, 'bundled-trainer.log'),
    });
    children.push(node);
    const logs = () => node.logTail(60);
    await eventually(
      'the isolation check',
      () => (node.logTail(200).includes('network: ') ? true : undefined),
      { timeoutMs: 20_000, context: logs },
    );
    expect(node.logTail(200)).toContain('network: isolated');

    const envelope = {
      id: randomUUID(),
      type: 'trainer.job.requested',
      source: 'e2e/bundle',
      time: new Date().toISOString(),
      subject: 'jobs',
      data: { job_id: JOB, pool: 'cpu', spec: SPEC },
    };
    watch.nc.publish('aimass.events.trainer.job.requested', JSON.stringify(envelope));
    const succeeded = await eventually(
      'the bundled node to finish the job',
      () => watch.of(JOB, 'trainer.job.succeeded')[0],
      { timeoutMs: 120_000, context: logs },
    );
    expect(succeeded.data).toMatchObject({
      model: 'e2e-bundled',
      version: 1,
      epochs_run: 2,
      backend: 'wasm',
    });
    expect(watch.of(JOB, 'trainer.job.progress').map((e) => e.data.epoch)).toEqual([1, 2]);
    await eventually(
      'the success log line',
      () =>
        node.logTail(200).includes(`job ${JOB}: succeeded after 2 epochs; registered e2e-bundled version 1`)
          ? true
          : undefined,
      { timeoutMs: 10_000, context: logs },
    );
    expect(node.logTail(200)).toContain(`job ${JOB}: started ae, 2 epochs on wasm`);

    const registry = registryClient(mesh);
    const versions = await call<registryv1.ListVersionsRequest, registryv1.ListVersionsResponse__Output>(
      registry,
      'ListVersions',
      { model: 'e2e-bundled' },
    );
    registry.close();
    expect(versions.versions.map((v) => v.version)).toEqual([1]);
    expect(versions.versions[0]?.lineage?.hyperparameters?.['run.backend']).toBe('wasm');
  }, 240_000);
});
