import { createMeshClient } from '@aimass/grpc';
import type { trainerv1 } from '@aimass/contracts';
import { checkGrpcHealth, freePort, startNatsServer, startService, type NatsServer, type ServiceProcess } from '@aimass/testing';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A producer outside the mesh: it knows only the documented subjects and the envelope's JSON shape,
// and talks to a real trainer process through a plain NATS client.

const REQUESTS = 'aimass.events.trainer.job.requested';
const FAILED = 'aimass.events.trainer.job.failed';

interface JobFailedEvent {
  id: string;
  type: string;
  source: string;
  data: { job_id: string; pool: string; backend: string; reason: string };
}

let nats: NatsServer;
let trainer: ServiceProcess;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let failures: Subscription;
const failed = new Map<string, JobFailedEvent>();

beforeAll(async () => {
  nats = await startNatsServer();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-trainer-e2e-'));
  trainer = await startService(
    'trainer',
    {
      AIMASS_NATS_URL: nats.url,
      AIMASS_TRAINER_GRPC: `127.0.0.1:${await freePort()}`,
      AIMASS_TRAINER_HTTP: `http://127.0.0.1:${await freePort()}`,
      AIMASS_TRAINER_POOL: 'cpu',
      AIMASS_TRAINER_CONCURRENCY: '2',
      AIMASS_LOG_LEVEL: 'warn',
    },
    { logDir },
  );
  nc = await connect({ servers: nats.url });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  // JetStream also delivers what it stores to plain subscribers: enough to watch results.
  failures = nc.subscribe(FAILED, {
    callback: (err, msg) => {
      if (err) return;
      const event = msg.json<JobFailedEvent>();
      failed.set(event.data.job_id, event);
    },
  });
});

afterAll(async () => {
  failures?.unsubscribe();
  await nc?.drain();
  await trainer?.child.stop();
  await nats?.stop();
});

async function requestTraining(data: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const envelope = { id, type: 'trainer.job.requested', source: 'e2e/outside-producer', time: new Date().toISOString(), subject: 'jobs', data };
  await js.publish(REQUESTS, JSON.stringify(envelope), { msgID: id });
  return id;
}

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms\n${trainer.child.logTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function getNode(): Promise<trainerv1.TrainerNode__Output> {
  const client = createMeshClient<trainerv1.TrainerServiceClient>('trainer', trainer.address);
  return new Promise((resolve, reject) =>
    client.getNode({}, (err, node) => {
      client.close();
      if (err || !node) reject(err ?? new Error('no response'));
      else resolve(node);
    }),
  );
}

describe('trainer', () => {
  it('describes itself honestly over gRPC', async () => {
    const node = await getNode();
    expect(node).toMatchObject({ pool: 'cpu', backend: 'none', concurrency: 2, active_jobs: 0, families: [] });
    expect(node.id).toMatch(/-\d+$/);
  });

  it('fails a requested job, saying that no engine can train its family', async () => {
    await requestTraining({ job_id: 'e2e-job-1', pool: 'cpu', spec: { family: 'vae', epochs: 2 } });
    const event = await eventually(() => failed.get('e2e-job-1'), 'trainer.job.failed for e2e-job-1');
    expect(event.type).toBe('trainer.job.failed');
    expect(event.source).toBe('aimass/trainer');
    expect(event.data).toEqual({ job_id: 'e2e-job-1', pool: 'cpu', backend: 'none', reason: 'no training engine for family "vae" is available in this build' });
    // The job was acked off the work queue: nothing is left to redeliver.
    await eventually(async () => ((await jsm.streams.info('AIMASS_JOBS')).state.messages === 0 ? true : undefined), 'an empty work queue');
  });

  it('gives a job without an id one, and reports it under that id', async () => {
    const before = new Set(failed.keys());
    await requestTraining({ spec: { family: 'gmm' } });
    const event = await eventually(() => [...failed.values()].find((e) => !before.has(e.data.job_id)), 'a failure for the unnamed job');
    expect(event.data.job_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event.data.reason).toBe('no training engine for family "gmm" is available in this build');
  });

  it('answers a request it cannot train with a failure that says why', async () => {
    await requestTraining({ job_id: 'e2e-no-family', spec: { epochs: 3 } });
    const event = await eventually(() => failed.get('e2e-no-family'), 'trainer.job.failed for e2e-no-family');
    expect(event.data.reason).toMatch(/^invalid training spec: family/);
  });

  it('queues a job for another pool on that pool, where this cpu node leaves it', async () => {
    await requestTraining({ job_id: 'e2e-gpu-job', pool: 'gpu', spec: { family: 'gan' } });
    const queued = await eventually(
      async () => (await jsm.streams.getMessage('AIMASS_JOBS', { last_by_subj: 'aimass.jobs.train.gpu' }).catch(() => null)) ?? undefined,
      'the gpu job on its queue',
    );
    expect(queued.json<{ id: string; data: { job_id: string } }>()).toMatchObject({ id: 'e2e-gpu-job', data: { job_id: 'e2e-gpu-job', pool: 'gpu' } });
    expect(failed.has('e2e-gpu-job')).toBe(false);
  });

  it('shrugs off garbage and keeps serving', async () => {
    await js.publish(REQUESTS, 'not json');
    await js.publish(REQUESTS, JSON.stringify({ id: randomUUID(), type: 'trainer.job.requested', source: 's', time: new Date().toISOString(), subject: '', data: { pool: 'tpu' } }));
    await requestTraining({ job_id: 'e2e-after-garbage', spec: { family: 'ae' } });
    await eventually(() => failed.get('e2e-after-garbage'), 'trainer.job.failed after garbage');
    expect(trainer.child.running).toBe(true);
    expect(await checkGrpcHealth(trainer.address)).toBe('SERVING');
  });
});
