import { STREAMS, type Envelope } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client as S3Client } from 'minio';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Artifacts are verified by digest on every load. An artifact overwritten in S3 behind the
// registry's back (here: another valid model of the same shape, so only the digest check can tell)
// is refused with FAILED_PRECONDITION naming both digests, and inference writes an audit record
// that an independent consumer reads from AIMASS_AUDIT.

type Rpc = Record<string, (...a: unknown[]) => unknown>;
interface VersionMessage {
  version: number;
  sha256: string;
  artifact_key: string;
}
interface AuditData {
  actor: string;
  action: string;
  resource: string;
  details: Record<string, unknown>;
}

const network = (seed: number) =>
  Buffer.from(
    exportDenseNetwork(
      randomDenseNetwork({
        inputDim: 4,
        hidden: [8],
        outputDim: 2,
        seed,
        activation: 'tanh',
        outputActivation: 'linear',
      }),
    ),
  );
const genuine = network(1);
const substitute = network(2);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let mesh: Mesh;
let registry: Rpc;
let oip: Rpc;
let s3: S3Client;
let nc: NatsConnection;

function call<T>(client: Rpc, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(request, { deadline: Date.now() + 20_000 }, (err: ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function push(model: string, bytes: Buffer, alias = ''): Promise<VersionMessage> {
  return new Promise((resolve, reject) => {
    const stream = registry.PushVersion!((err: ServiceError | null, res: VersionMessage) =>
      err ? reject(err) : resolve(res),
    ) as { write(m: unknown): void; end(): void };
    stream.write({ header: { model, format: 'onnx', alias } });
    stream.write({ chunk: bytes });
    stream.end();
  });
}

function infer(model: string, version: string): Promise<unknown> {
  return call(oip, 'ModelInfer', {
    model_name: model,
    model_version: version,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
    raw_input_contents: [Buffer.from(Float32Array.from([0.1, 0.2, 0.3, 0.4]).buffer)],
  });
}

/** Replaces the object behind `key` directly in S3, as an attacker with bucket access would. */
async function overwrite(key: string, bytes: Buffer): Promise<void> {
  await s3.putObject(process.env.AIMASS_S3_BUCKET ?? 'aimass-artifacts', key, bytes, bytes.length);
}

/** Every audit record inference stored, oldest first, read with a fresh ordered consumer. */
async function inferenceAudit(): Promise<Envelope<'audit.record'>[]> {
  const consumer = await jetstream(nc).consumers.get(STREAMS.audit.name, {
    filter_subjects: 'aimass.audit.inference',
  });
  const out: Envelope<'audit.record'>[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 256, expires: 1_000 });
    let n = 0;
    for await (const msg of batch) {
      out.push(msg.json<Envelope<'audit.record'>>());
      n++;
    }
    if (n === 0) return out;
  }
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const err = await promise.then(
    () => undefined,
    (e: ServiceError) => e,
  );
  expect(err, 'the tampered artifact was served').toBeDefined();
  return err!;
}

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('tampered-artifact'),
    services: ['registry', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
  registry = createMeshClient<Rpc>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
  oip = createMeshClient<Rpc>('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  const url = new URL(mesh.s3.endpoint);
  s3 = new S3Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: mesh.s3.accessKey,
    secretKey: mesh.s3.secretKey,
    region: 'us-east-1',
    pathStyle: true,
  });
  nc = await connect({ servers: mesh.env.AIMASS_NATS_URL! });
}, 120_000);

afterAll(async () => {
  await nc?.close();
  (registry as unknown as Client | undefined)?.close();
  (oip as unknown as Client | undefined)?.close();
  await mesh?.stop();
});

describe('a tampered artifact', () => {
  it('is refused on its first load with FAILED_PRECONDITION naming both digests, and audited', async () => {
    const v1 = await push('tampered', genuine);
    const v2 = await push('tampered', genuine);
    await overwrite(v2.artifact_key, substitute);

    await expect(infer('tampered', '1')).resolves.toBeDefined();
    const err = await refusal(infer('tampered', '2'));
    expect(status[err.code]).toBe('FAILED_PRECONDITION');
    expect(err.details).toContain(`hashes to ${sha256(substitute)}`);
    expect(err.details).toContain(`registry recorded ${v2.sha256}`);
    expect(v2.sha256).toBe(sha256(genuine));
    // Refused, not half-loaded: asking again gives the same answer, and version 1 still serves.
    expect(status[(await refusal(infer('tampered', '2'))).code]).toBe('FAILED_PRECONDITION');
    await expect(infer('tampered', String(v1.version))).resolves.toBeDefined();

    const records = await vi.waitFor(
      async () => {
        const found = (await inferenceAudit()).filter((e) => e.subject === 'models/tampered/versions/2');
        expect(found.length).toBeGreaterThan(0);
        return found;
      },
      { timeout: 10_000, interval: 250 },
    );
    // One refusal, one record: the second request met the cached refusal, not a second download.
    expect(records).toHaveLength(1);
    expect(records[0]!.type).toBe('audit.record');
    expect(records[0]!.source).toBe('aimass/inference');
    expect(records[0]!.data as AuditData).toMatchObject({
      actor: 'inference',
      action: 'artifact.digest_mismatch',
      resource: 'models/tampered/versions/2',
      details: {
        model: 'tampered',
        version: 2,
        artifact_key: v2.artifact_key,
        expected_sha256: v2.sha256,
        actual_sha256: sha256(substitute),
      },
    });
  }, 60_000);

  it('is refused when a loaded version is loaded again after its object was replaced', async () => {
    const v1 = await push('reloaded', genuine, 'production');
    await expect(infer('reloaded', '')).resolves.toBeDefined();
    await overwrite(v1.artifact_key, substitute);
    // Still the verified bytes in memory: the running copy keeps serving.
    await expect(infer('reloaded', '')).resolves.toBeDefined();

    await call(oip, 'RepositoryModelUnload', { model_name: 'reloaded' });
    const err = await refusal(call(oip, 'RepositoryModelLoad', { model_name: 'reloaded' }));
    expect(status[err.code]).toBe('FAILED_PRECONDITION');
    expect(err.details).toContain(`registry recorded ${v1.sha256}`);
    const ready = await call<{ ready: boolean }>(oip, 'ModelReady', { name: 'reloaded', version: '1' });
    expect(ready.ready).toBe(false);

    await vi.waitFor(
      async () => {
        const found = (await inferenceAudit()).filter((e) => e.subject === 'models/reloaded/versions/1');
        expect(found.map((e) => (e.data as AuditData).details)).toEqual([
          expect.objectContaining({ expected_sha256: v1.sha256, actual_sha256: sha256(substitute) }),
        ]);
      },
      { timeout: 10_000, interval: 250 },
    );
  }, 60_000);
});
