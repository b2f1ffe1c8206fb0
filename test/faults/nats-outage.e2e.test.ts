import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// NATS down under load. The hot path must not wait on NATS: with a loaded model, predictions keep
// succeeding while nats-server is frozen (SIGSTOP: connections hang instead of closing) and while it
// restarts. Training jobs run through both outages: each job acknowledged by SubmitJob ends
// SUCCEEDED and registers its models exactly once (a job redelivered after a missed in-progress ack
// must not push a second version); a submission while NATS is frozen is refused with UNAVAILABLE,
// and the same job id submitted again once NATS is back trains. No service process dies. Each phase
// is bounded in time and stops by itself.

type Rpc = Record<string, (...a: unknown[]) => unknown>;

const model = randomDenseNetwork({
  inputDim: 4,
  hidden: [8],
  outputDim: 2,
  seed: 3,
  activation: 'tanh',
  outputActivation: 'linear',
});
const onnx = Buffer.from(exportDenseNetwork(model));
const request = {
  model_name: 'outage',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [Buffer.from(Float32Array.from([0.1, 0.2, 0.3, 0.4]).buffer)],
};

function predict(oip: Client, deadlineMs = 2_000): Promise<number> {
  return new Promise((resolve) =>
    (oip as unknown as Rpc).ModelInfer!(
      request,
      { deadline: Date.now() + deadlineMs },
      (err: ServiceError | null) => resolve(err ? err.code : status.OK),
    ),
  );
}

/** Sends predictions back to back (4 in flight) for `ms`; returns how many ended with each status. */
async function traffic(oip: Client, ms: number): Promise<Map<string, number>> {
  const end = Date.now() + ms;
  const counts = new Map<string, number>();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        const code = await predict(oip);
        counts.set(status[code]!, (counts.get(status[code]!) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

function servedVersion(oip: Client): Promise<string> {
  return new Promise((resolve, reject) =>
    (oip as unknown as Rpc).ModelInfer!(
      request,
      { deadline: Date.now() + 5_000 },
      (err: ServiceError | null, res: { model_version: string }) =>
        err ? reject(err) : resolve(res.model_version),
    ),
  );
}

function push(registry: Rpc): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const call = registry.PushVersion!((err: ServiceError | null) => (err ? reject(err) : resolve())) as {
      write(m: unknown): void;
      end(): void;
    };
    call.write({ header: { model: 'outage', format: 'onnx', alias: 'production' } });
    call.write({ chunk: onnx });
    call.end();
  });
}

function call<T>(client: Rpc, method: string, req: unknown, deadlineMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, { deadline: Date.now() + deadlineMs }, (err: ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

interface Job {
  state: string;
  epoch: number;
  reason: string;
  model: string;
  version: number;
}

/** An autoencoder that trains for about 15 s on two cores (an epoch a second, a checkpoint in S3 each epoch). */
const spec = (jobId: string) =>
  JSON.stringify({
    family: 'ae',
    dataset: { builtin: 'anomaly_blobs', rows: 2_000, features: 8 },
    architecture: { hidden: [32], latent_dim: 2 },
    epochs: 20,
    batch_size: 32,
    model_name: jobId,
  });

/** SubmitJob's status: OK, or the code it was refused with. */
function submit(trainer: Rpc, jobId: string, deadlineMs = 10_000): Promise<number> {
  return call(trainer, 'SubmitJob', { job_id: jobId, spec_json: spec(jobId) }, deadlineMs).then(
    () => status.OK,
    (err: ServiceError) => err.code,
  );
}

describe('inference and training while NATS is down', () => {
  let mesh: Mesh;
  let oip: Client;
  let trainer: Rpc;
  let registry: Rpc;
  /** Every job SubmitJob acknowledged: each must end SUCCEEDED. */
  const acknowledged: string[] = [];

  const getJob = (jobId: string) => call<Job>(trainer, 'GetJob', { job_id: jobId });
  const trainerLog = () => mesh.services.get('trainer')?.child.logTail(40) ?? '';

  /** Submits jobs and waits until each is RUNNING past its first epoch, so the outage finds them training. */
  async function startJobs(...ids: string[]): Promise<void> {
    for (const id of ids) {
      expect(await submit(trainer, id)).toBe(status.OK);
      acknowledged.push(id);
    }
    for (const id of ids)
      await eventually(
        `job ${id} running`,
        async () => {
          const job = await getJob(id);
          return job.state === 'RUNNING' && job.epoch >= 1 ? job : undefined;
        },
        { timeoutMs: 30_000, context: () => `the trainer's log:\n${trainerLog()}` },
      );
  }

  /** A submission made during an outage: acknowledged, or refused with UNAVAILABLE and then retried with its id. */
  async function settleSubmission(id: string, code: number): Promise<void> {
    expect(status[code]).toMatch(/^(OK|UNAVAILABLE)$/);
    if (code !== status.OK) expect(await submit(trainer, id)).toBe(status.OK);
    acknowledged.push(id);
  }

  beforeAll(async () => {
    mesh = await startMesh({
      stateDir: makeScratchDir('nats-outage'),
      services: ['registry', 'trainer', 'inference'],
      // Two jobs at once on the node: a redelivered job could then run beside itself.
      extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_TRAINER_CONCURRENCY: '2' },
    });
    registry = createMeshClient<Rpc>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
    trainer = createMeshClient<Rpc>('trainer', mesh.env.AIMASS_TRAINER_GRPC!);
    await push(registry);
    oip = createMeshClient<Client>('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
    expect(await predict(oip, 30_000)).toBe(status.OK);
  }, 120_000);

  afterAll(async () => {
    oip?.close();
    for (const c of [registry, trainer]) (c as unknown as Client | undefined)?.close();
    if (mesh) {
      try {
        process.kill(mesh.nats.child.pid, 'SIGCONT');
      } catch {
        // already running or gone
      }
      await mesh.stop();
    }
  });

  it('keeps serving and training while nats-server is frozen for 10 s, and refuses new jobs with UNAVAILABLE', async () => {
    await startJobs('outage-freeze-a', 'outage-freeze-b');
    process.kill(mesh.nats.child.pid, 'SIGSTOP');
    let during: Map<string, number>;
    let refused: number;
    try {
      [during, refused] = await Promise.all([traffic(oip, 10_000), submit(trainer, 'outage-frozen', 9_000)]);
    } finally {
      process.kill(mesh.nats.child.pid, 'SIGCONT');
    }
    expect(Object.fromEntries(during)).toEqual({ OK: expect.any(Number) });
    expect(during.get('OK')).toBeGreaterThan(40);
    // The job store cannot be written: a clean refusal within the deadline, not a hang. The record may
    // still land once nats-server runs again, so the client retries with the same job id.
    expect(status[refused]).toBe('UNAVAILABLE');
    expect(Object.fromEntries(await traffic(oip, 2_000))).toEqual({ OK: expect.any(Number) });
    await settleSubmission('outage-frozen', refused);
  }, 60_000);

  it('keeps serving and training while nats-server restarts, and takes alias moves after', async () => {
    await startJobs('outage-restart-a');
    const restart = mesh.nats.restart();
    const [during, submitted] = await Promise.all([traffic(oip, 4_000), submit(trainer, 'outage-restart-b')]);
    await restart;
    expect(Object.fromEntries(during)).toEqual({ OK: expect.any(Number) });
    expect(Object.fromEntries(await traffic(oip, 2_000))).toEqual({ OK: expect.any(Number) });
    await settleSubmission('outage-restart-b', submitted);
    // The control plane is back: an alias moved after the restart reaches inference.
    await push(registry);
    const end = Date.now() + 20_000;
    let version = await servedVersion(oip);
    while (version !== '2' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      version = await servedVersion(oip);
    }
    expect(version).toBe('2');
  }, 60_000);

  it('ends every acknowledged job SUCCEEDED with one version of each model it registers, and no service died', async () => {
    for (const id of acknowledged) {
      const job = await eventually(
        `job ${id} finishing`,
        async () => {
          const j = await getJob(id);
          return j.state === 'QUEUED' || j.state === 'RUNNING' ? undefined : j;
        },
        { timeoutMs: 60_000, context: () => `the trainer's log:\n${trainerLog()}` },
      );
      expect({ id, state: job.state, reason: job.reason }).toEqual({ id, state: 'SUCCEEDED', reason: '' });
      // An autoencoder registers its scorer, encoder and decoder; a redelivered job must push none twice.
      for (const name of [id, `${id}-encoder`, `${id}-decoder`]) {
        const { versions } = await call<{ versions: { version: number; tags: Record<string, string> }[] }>(
          registry,
          'ListVersions',
          { model: name },
        );
        expect({ name, versions: versions.map((v) => [v.version, v.tags['aimass.job_id']]) }).toEqual({
          name,
          versions: [[1, id]],
        });
      }
    }
    expect(acknowledged).toHaveLength(5);
    for (const [name, service] of mesh.services)
      expect({ name, running: service.child.running }).toEqual({ name, running: true });
    expect(mesh.nats.child.running).toBe(true);
  }, 90_000);
});
