import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The hot path must not wait on NATS: with a loaded model, predictions keep succeeding while
// nats-server is frozen (SIGSTOP: connections hang instead of closing) and while it restarts. Each
// phase is bounded in time and stops by itself.

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

describe('inference while NATS is down', () => {
  let mesh: Mesh;
  let oip: Client;

  beforeAll(async () => {
    mesh = await startMesh({
      stateDir: makeScratchDir('nats-outage'),
      services: ['registry', 'inference'],
      extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
    });
    const registry = createMeshClient<Rpc>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
    await push(registry);
    (registry as unknown as Client).close();
    oip = createMeshClient<Client>('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
    expect(await predict(oip, 30_000)).toBe(status.OK);
  }, 120_000);

  afterAll(async () => {
    oip?.close();
    if (mesh) {
      try {
        process.kill(mesh.nats.child.pid, 'SIGCONT');
      } catch {
        // already running or gone
      }
      await mesh.stop();
    }
  });

  it('keeps serving a loaded model while nats-server is frozen for 10 s', async () => {
    process.kill(mesh.nats.child.pid, 'SIGSTOP');
    let during: Map<string, number>;
    try {
      during = await traffic(oip, 10_000);
    } finally {
      process.kill(mesh.nats.child.pid, 'SIGCONT');
    }
    expect(Object.fromEntries(during)).toEqual({ OK: expect.any(Number) });
    expect(during.get('OK')).toBeGreaterThan(40);
    expect(Object.fromEntries(await traffic(oip, 2_000))).toEqual({ OK: expect.any(Number) });
  }, 60_000);

  it('keeps serving while nats-server restarts, and takes alias moves after', async () => {
    const restart = mesh.nats.restart();
    const during = await traffic(oip, 4_000);
    await restart;
    expect(Object.fromEntries(during)).toEqual({ OK: expect.any(Number) });
    expect(Object.fromEntries(await traffic(oip, 2_000))).toEqual({ OK: expect.any(Number) });
    // The control plane is back: an alias moved after the restart reaches inference.
    const registry = createMeshClient<Rpc>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
    await push(registry);
    (registry as unknown as Client).close();
    const end = Date.now() + 20_000;
    let version = await servedVersion(oip);
    while (version !== '2' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      version = await servedVersion(oip);
    }
    expect(version).toBe('2');
  }, 60_000);
});
