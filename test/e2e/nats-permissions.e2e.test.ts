import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { NATS_PERMISSIONS, natsInboxPrefix } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { connectNats, type NatsConnection } from '@aimass/nats';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { eventually, makeScratchDir, startMesh, type Mesh, type NatsAccountUser } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// NATS with every service as its own user (nkeys), each allowed only its own subjects
// (NATS_PERMISSIONS), the way scripts/stack runs by default. The whole mesh does its work (a push,
// predictions summarised to the monitor, a training job requested by a raw NATS event from the
// `client` user, a tuner study) without one permissions violation in the server's log; connections
// without credentials, and users reaching for subjects that are not theirs, are refused.

type Client = Record<string, (...args: unknown[]) => unknown>;
const MODEL = 'nats-perm';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

let mesh: Mesh;
let registry: Client;
let inference: Client;
let trainer: Client;
let tuner: Client;
let monitor: Client;
const opened: NatsConnection[] = [];

async function as(user: NatsAccountUser): Promise<NatsConnection> {
  const nc = await connectNats(mesh.env.AIMASS_NATS_URL!, `test-${user}`, {
    credentials: mesh.natsAccounts!.credentials(user),
    user,
  });
  opened.push(nc);
  return nc;
}

/** Runs `act` on `nc` and resolves with the permissions errors the server sent back within 1.5 s. */
async function violations(nc: NatsConnection, act: () => unknown): Promise<string[]> {
  const seen: string[] = [];
  const watching = (async () => {
    for await (const s of nc.status()) if (s.type === 'error') seen.push(String(s.error));
  })();
  try {
    await act();
  } catch (err) {
    seen.push(String(err));
  }
  await nc.flush().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 1_500));
  void watching;
  return seen;
}

function violationLines(): string[] {
  return fs
    .readFileSync(mesh.nats.logFile, 'utf8')
    .split('\n')
    .filter((l) => /Permissions Violation|Authorization Violation/.test(l));
}

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('nats-permissions-e2e'),
    natsAuth: true,
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '200' },
  });
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  trainer = createMeshClient('trainer', mesh.env.AIMASS_TRAINER_GRPC!);
  tuner = createMeshClient('tuner', mesh.env.AIMASS_TUNER_GRPC!);
  monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!);
}, 180_000);

afterAll(async () => {
  for (const nc of opened) await nc.close().catch(() => undefined);
  for (const c of [registry, inference, trainer, tuner, monitor])
    (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

describe('NATS with one user per service (natsAuth)', () => {
  it('hands each service its own credentials, and clients the client user', () => {
    expect(mesh.env.AIMASS_NATS_CREDENTIALS).toBe(mesh.natsAccounts!.credentials('client'));
    const conf = fs.readFileSync(mesh.natsAccounts!.configFile, 'utf8');
    for (const subject of NATS_PERMISSIONS.trainer.publish) expect(conf).toContain(JSON.stringify(subject));
    expect(fs.statSync(mesh.natsAccounts!.credentials('registry')).mode & 0o077).toBe(0);
  });

  it('the mesh works end to end without a single permissions violation', async () => {
    // registry: a push (KV, events, audit, S3)
    const bytes = exportDenseNetwork(
      randomDenseNetwork({ inputDim: 3, hidden: [4], outputDim: 2, seed: 1, activation: 'relu' }),
    );
    await new Promise<void>((resolve, reject) => {
      const push = registry.PushVersion!((err: ServiceError | null) => (err ? reject(err) : resolve())) as {
        write(m: unknown): void;
        end(): void;
      };
      push.write({ header: { model: MODEL, format: 'onnx', alias: 'production', tags: {} } });
      push.write({ chunk: bytes });
      push.end();
    });
    // inference: resolves the version over the registry's NATS RPC, publishes summaries
    for (let i = 0; i < 5; i++)
      await call(inference, 'ModelInfer', {
        model_name: MODEL,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }],
      });
    // monitor: consumes them
    await eventually(
      'the monitor counting 5 predictions',
      async () => {
        const { stats } = await call<{ stats: Array<{ requests: string }> }>(monitor, 'GetModelStats', {
          model: MODEL,
        });
        return Number(stats[0]?.requests ?? 0) >= 5 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );

    // trainer: a job requested by a raw event from the client user (the README's example), then
    // followed to its end by the CLI, which reads the event stream as the client user too
    const jobId = `nats-perm-${randomUUID().slice(0, 8)}`;
    const env = { ...process.env, ...mesh.env };
    const requested = await run(
      'node',
      [
        'docs/examples/request-training.mjs',
        jobId,
        JSON.stringify({
          family: 'gmm',
          dataset: { builtin: 'gaussian_blobs', rows: 300, features: 3 },
          epochs: 20,
          model_name: 'nats-perm-gmm',
        }),
      ],
      { cwd: ROOT, env },
    );
    expect(requested.stdout).toMatch(
      new RegExp(`^${jobId} requested \\(stream AIMASS_EVENTS, sequence \\d+\\)`),
    );
    const watched = await run('node', ['cli/dist/main.js', 'jobs', 'watch', jobId], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    });
    expect(watched.stdout).toMatch(/nats-perm-gmm 1/);

    // tuner: a study in KV, its events
    await call(tuner, 'CreateStudy', {
      study_id: 'nats-perm-study',
      spec_json: JSON.stringify({
        name: 'nats-perm',
        space: { x: { type: 'float', low: 0, high: 1 } },
        budget: { trials: 2 },
      }),
    });
    const trial = await call<{ number: number }>(tuner, 'Ask', { study_id: 'nats-perm-study' });
    await call(tuner, 'Tell', {
      study_id: 'nats-perm-study',
      trial: trial.number,
      state: 'COMPLETE',
      value: 1,
      reason: '',
    });

    // monitor: the console hub's star, post and download counter in its own KV bucket
    const hub = `${mesh.env.AIMASS_MONITOR_HTTP}/api/console/hub/${MODEL}`;
    const write = (path: string, body: unknown) =>
      fetch(`${hub}/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await write('star', { by: 'nats-perm' })).status).toBe(200);
    expect((await write('posts', { text: 'hello', by: 'nats-perm' })).status).toBe(200);
    const artifact = await fetch(`${hub}/versions/1/download`);
    expect(Buffer.from(await artifact.arrayBuffer())).toEqual(Buffer.from(bytes));
    const page = (await (await fetch(hub)).json()) as { stars: number; downloads: number; posts: unknown[] };
    expect(page).toMatchObject({
      stars: 1,
      downloads: 1,
      posts: [expect.objectContaining({ text: 'hello' })],
    });

    expect(violationLines()).toEqual([]);
  }, 240_000);

  it('refuses a connection without credentials', async () => {
    await expect(
      connect({ servers: mesh.env.AIMASS_NATS_URL!, reconnect: false, timeout: 2_000 }),
    ).rejects.toThrow(/Authorization Violation/i);
  });

  const refusals: Array<[string, NatsAccountUser, (nc: NatsConnection) => unknown, RegExp]> = [
    [
      'inference requesting training',
      'inference',
      (nc) => nc.publish('aimass.events.trainer.job.requested', '{}'),
      /Permissions Violation for Publish to "aimass\.events\.trainer\.job\.requested"/,
    ],
    [
      'registry announcing a trainer event',
      'registry',
      (nc) => nc.publish('aimass.events.trainer.job.succeeded', '{}'),
      /Permissions Violation for Publish to "aimass\.events\.trainer\.job\.succeeded"/,
    ],
    [
      'the client writing registry metadata in KV',
      'client',
      (nc) => nc.publish('$KV.aimass_registry.models.x', '{}'),
      /Permissions Violation for Publish to "\$KV\.aimass_registry\.models\.x"/,
    ],
    [
      'the client calling the registry RPC inference uses',
      'client',
      (nc) => nc.request('aimass.rpc.registry.get_version', '{}', { timeout: 1_000 }),
      /Permissions Violation for Publish to "aimass\.rpc\.registry\.get_version"/,
    ],
    [
      'the client deleting a stream',
      'client',
      (nc) => nc.request('$JS.API.STREAM.DELETE.AIMASS_EVENTS', '', { timeout: 1_000 }),
      /Permissions Violation for Publish to "\$JS\.API\.STREAM\.DELETE\.AIMASS_EVENTS"/,
    ],
    [
      'monitor listening to registry RPCs',
      'monitor',
      (nc) => nc.subscribe('aimass.rpc.registry.>'),
      /Permissions Violation for Subscription to "aimass\.rpc\.registry\.>"/,
    ],
    [
      "the client reading inference's reply inbox",
      'client',
      (nc) => nc.subscribe(`${natsInboxPrefix('inference')}.>`),
      /Permissions Violation for Subscription to "_INBOX_inference\.>"/,
    ],
  ];

  it.each(refusals)('refuses %s', async (_what, user, act, expected) => {
    const nc = await as(user);
    const errors = await violations(nc, () => act(nc));
    expect(errors.join('\n')).toMatch(expected);
  });

  it('a refused training request never becomes a job', async () => {
    const jobId = `nats-perm-refused-${randomUUID().slice(0, 8)}`;
    const nc = await as('inference');
    await violations(nc, () =>
      nc.publish(
        'aimass.events.trainer.job.requested',
        JSON.stringify({
          id: randomUUID(),
          type: 'trainer.job.requested',
          source: 'e2e/outsider',
          time: new Date().toISOString(),
          subject: 'jobs',
          data: { job_id: jobId, spec: { family: 'gmm', dataset: { builtin: 'gaussian_blobs' }, epochs: 5 } },
        }),
      ),
    );
    await expect(call(trainer, 'GetJob', { job_id: jobId })).rejects.toMatchObject({ code: 5 });
  });
});
