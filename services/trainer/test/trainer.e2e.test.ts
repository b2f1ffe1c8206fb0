import type { trainerv1 } from '@aimass/contracts';
import { ObjectStore } from '@aimass/storage';
import { eventually, checkGrpcHealth, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type ServiceError } from '@grpc/grpc-js';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, trainerClient, watchJobEvents } from './harness.js';

// A trainer node against real nats + S3: its gRPC job API, bad specs (refused at submission, or
// FAILED with a reason once the data is read), cancellation, and what it does with garbage.

let mesh: Mesh;
let trainer: trainerv1.TrainerServiceClient;
let watch: Awaited<ReturnType<typeof watchJobEvents>>;
let store: ObjectStore;
const logs = () => mesh.services.get('trainer')?.child.logTail(60) ?? '';
const small = {
  dataset: { builtin: 'anomaly_blobs', rows: 64, features: 4 },
  architecture: { hidden: [8], latent_dim: 2 },
  epochs: 1,
  batch_size: 16,
};

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('trainer-e2e'),
    services: ['trainer'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_TRAINER_CONCURRENCY: '2' },
  });
  trainer = trainerClient(mesh);
  watch = await watchJobEvents(mesh.env.AIMASS_NATS_URL!);
  store = new ObjectStore({
    endpoint: mesh.env.AIMASS_S3_ENDPOINT!,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    bucket: 'aimass-artifacts',
  });
  await store.ensureBucket();
});

afterAll(async () => {
  trainer?.close();
  await watch?.nc.drain();
  await mesh?.stop();
});

const submit = (spec: unknown, job_id = '') =>
  call<trainerv1.SubmitJobRequest, trainerv1.Job__Output>(trainer, 'SubmitJob', {
    job_id,
    spec_json: JSON.stringify(spec),
  });
const getJob = (job_id: string) =>
  call<trainerv1.GetJobRequest, trainerv1.Job__Output>(trainer, 'GetJob', { job_id });

describe('trainer node', () => {
  it('describes itself: pool, the wasm backend it trains on, and its families', async () => {
    const node = await call<object, trainerv1.TrainerNode__Output>(trainer, 'GetNode', {});
    expect(node).toMatchObject({
      pool: 'cpu',
      backend: 'wasm',
      concurrency: 2,
      families: ['ae', 'vae', 'gan', 'gmm'],
    });
  });

  it('beats on NATS with its id, pool, backend and load', async () => {
    const sub = watch.nc.subscribe('aimass.heartbeats.trainer.>', { max: 1 });
    const node = await call<object, trainerv1.TrainerNode__Output>(trainer, 'GetNode', {});
    for await (const msg of sub) {
      const beat = msg.json<{ type: string; data: Record<string, unknown> }>();
      expect(msg.subject).toBe(`aimass.heartbeats.trainer.${node.id}`);
      expect(beat.type).toBe('trainer.node.heartbeat');
      expect(beat.data).toMatchObject({
        node_id: node.id,
        pool: 'cpu',
        backend: 'wasm',
        concurrency: 2,
        load: expect.any(Number),
      });
    }
  });

  it.each([
    ['an unknown family', { ...small, family: 'transformer' }, 'family must be one of'],
    ['negative epochs', { ...small, family: 'ae', epochs: -1 }, 'epochs must be at least 1'],
    [
      'a latent dimension larger than the input',
      { ...small, family: 'vae', architecture: { latent_dim: 5 } },
      'latent_dim 5 must be smaller than the 4 input features',
    ],
    ['no dataset', { family: 'ae', epochs: 1 }, 'dataset'],
    [
      'AUROC without labels',
      { ...small, family: 'ae', dataset: { builtin: 'sine_waves' }, metrics: ['auroc'] },
      'needs anomaly labels',
    ],
  ])('refuses %s at submission with INVALID_ARGUMENT and stores nothing', async (_what, spec, expected) => {
    const jobId = `bad-${randomUUID()}`;
    const err = (await submit(spec, jobId).catch((e: ServiceError) => e)) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(expected);
    const missing = (await getJob(jobId).catch((e: ServiceError) => e)) as ServiceError;
    expect(missing.code).toBe(status.NOT_FOUND);
  });

  it('refuses spec_json that is not JSON', async () => {
    const err = (await call(trainer, 'SubmitJob', { job_id: '', spec_json: '{family:' }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/^spec_json is not JSON/);
  });

  it.each([
    ['a missing dataset object', 'nowhere.csv', undefined, 'dataset object "nowhere.csv" does not exist'],
    [
      'NaN in the data',
      'nan.csv',
      'a,b,c\n1,2,3\n4,NaN,6\n',
      'row 2, column "b" is "NaN", not a finite number',
    ],
    ['rows of mismatched widths', 'ragged.csv', 'a,b,c\n1,2,3\n4,5\n', 'row 2 has 2 values but row 1 has 3'],
    [
      'a latent dimension as wide as the data',
      'narrow.csv',
      'a,b\n1,2\n3,4\n5,6\n7,8\n',
      "latent_dim 2 must be smaller than the dataset's 2 features",
    ],
  ])('fails a job with %s, saying why, and keeps serving', async (_what, key, body, reason) => {
    if (body !== undefined) await store.putBuffer(key, Buffer.from(body));
    const job = await submit({ ...small, family: 'ae', dataset: { s3_key: key, format: 'csv' } });
    expect(job.state).toBe('QUEUED');
    const failed = await eventually(
      `failure of ${key}`,
      () => watch.of(job.job_id, 'trainer.job.failed')[0],
      { context: logs },
    );
    expect(failed.data.reason).toContain(reason);
    expect(failed.data.backend).toBe('wasm');
    expect(await getJob(job.job_id)).toMatchObject({
      state: 'FAILED',
      reason: expect.stringContaining(reason),
    });
    expect(await checkGrpcHealth(mesh.env.AIMASS_TRAINER_GRPC!)).toBe('SERVING');
  });

  it('fails a bad spec that arrives as a NATS request event, with a trainer.job.failed event', async () => {
    const js = jetstream(watch.nc);
    const envelope = {
      id: randomUUID(),
      type: 'trainer.job.requested',
      source: 'e2e',
      time: new Date().toISOString(),
      subject: 'jobs',
      data: { job_id: 'e2e-bad-event', spec: { family: 'ae', epochs: -2 } },
    };
    await js.publish('aimass.events.trainer.job.requested', JSON.stringify(envelope), { msgID: envelope.id });
    const failed = await eventually(
      'failure of e2e-bad-event',
      () => watch.of('e2e-bad-event', 'trainer.job.failed')[0],
      { context: logs },
    );
    expect(failed.data.reason).toContain('epochs must be at least 1');
    expect((await getJob('e2e-bad-event')).state).toBe('FAILED');
  });

  it('cancels a running job within one batch, streams its progress, and lists it as CANCELLED', async () => {
    const job = await submit(
      {
        family: 'ae',
        dataset: { builtin: 'sine_waves', rows: 20_000, features: 32 },
        architecture: { hidden: [64], latent_dim: 4 },
        epochs: 500,
        batch_size: 32,
      },
      'e2e-cancel',
    );
    const seen: trainerv1.Job__Output[] = [];
    const stream = trainer.StreamProgress({ job_id: job.job_id });
    stream.on('data', (j: trainerv1.Job__Output) => seen.push(j));
    const ended = new Promise((resolve) => stream.on('end', resolve).on('error', resolve));
    await eventually('a first epoch', () => watch.of(job.job_id, 'trainer.job.progress')[0], {
      timeoutMs: 60_000,
      context: logs,
    });
    const flagged = await call<trainerv1.CancelJobRequest, trainerv1.Job__Output>(trainer, 'CancelJob', {
      job_id: job.job_id,
    });
    expect(flagged.cancel_requested).toBe(true);
    const epochsAtCancel = watch.of(job.job_id, 'trainer.job.progress').length;
    const cancelled = await eventually(
      'trainer.job.cancelled',
      () => watch.of(job.job_id, 'trainer.job.cancelled')[0],
      { context: logs },
    );
    // 500 batches an epoch: stopping within a batch means no epoch after the one running at the cancel.
    expect(cancelled.data.epoch).toBeLessThanOrEqual(epochsAtCancel + 1);
    expect(watch.of(job.job_id, 'trainer.job.progress').length).toBeLessThanOrEqual(epochsAtCancel + 1);
    expect(cancelled.data.backend).toBe('wasm');
    await ended;
    expect(seen[0]?.job_id).toBe('e2e-cancel');
    expect(seen.at(-1)?.state).toBe('CANCELLED');
    const list = await call<trainerv1.ListJobsRequest, trainerv1.ListJobsResponse__Output>(
      trainer,
      'ListJobs',
      { state: 'CANCELLED' },
    );
    expect(list.jobs.map((j) => j.job_id)).toContain('e2e-cancel');
    const again = (await call(trainer, 'CancelJob', { job_id: 'e2e-cancel' }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(again.code).toBe(status.FAILED_PRECONDITION);
  });

  it('cancels a queued job at once: a gpu job waits on the gpu queue, which this cpu node leaves alone', async () => {
    const job = await submit({ ...small, family: 'ae', pool: 'gpu' }, 'e2e-gpu-queued');
    expect(job).toMatchObject({ state: 'QUEUED', pool: 'gpu' });
    const jsm = await jetstreamManager(watch.nc);
    const queued = await jsm.streams.getMessage('AIMASS_JOBS', { last_by_subj: 'aimass.jobs.train.gpu' });
    expect(queued?.json<{ id: string }>().id).toBe('e2e-gpu-queued');
    const cancelled = await call<trainerv1.CancelJobRequest, trainerv1.Job__Output>(trainer, 'CancelJob', {
      job_id: 'e2e-gpu-queued',
    });
    expect(cancelled.state).toBe('CANCELLED');
  });

  it('shrugs off garbage on the request subject and keeps serving', async () => {
    watch.nc.publish('aimass.events.trainer.job.requested', 'not json');
    watch.nc.publish(
      'aimass.events.trainer.job.requested',
      JSON.stringify({
        id: randomUUID(),
        type: 'trainer.job.requested',
        source: 's',
        time: new Date().toISOString(),
        subject: '',
        data: { pool: 'tpu' },
      }),
    );
    // No registry runs in this mesh, so the job that proves the node still works is one that fails on its data.
    const job = await submit(
      { ...small, family: 'ae', dataset: { s3_key: 'absent.csv', format: 'csv' } },
      'e2e-after-garbage',
    );
    await eventually('e2e-after-garbage to fail', () => watch.of(job.job_id, 'trainer.job.failed')[0], {
      context: logs,
    });
    expect(mesh.services.get('trainer')?.child.running).toBe(true);
  });
});
