import { STREAMS, type Envelope } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client as S3Client } from 'minio';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Encryption at rest, end to end: a registry and an inference process sharing one master key. The
// object in S3 is ciphertext; inference decrypts it in memory and serves it; a flipped byte in S3
// is refused (FAILED_PRECONDITION, audited) while the other versions keep serving and no process
// dies; an inference process given another master key refuses to load, saying which keys differ.

type Rpc = Record<string, (...a: unknown[]) => unknown>;
interface VersionMessage {
  version: number;
  sha256: string;
  artifact_key: string;
  size_bytes: string;
}
interface InferResponse {
  outputs: { name: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}
interface AuditData {
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

const MASTER_KEY = randomBytes(32).toString('base64');
const BUCKET = 'aimass-artifacts';
const onnx = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({
      inputDim: 4,
      hidden: [64, 64],
      outputDim: 3,
      seed: 7,
      activation: 'tanh',
      outputActivation: 'linear',
    }),
  ),
);
const row = Float32Array.from([0.1, -0.2, 0.3, 0.4]);

let mesh: Mesh;
let stateDir: string;
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

function push(model: string, bytes: Buffer): Promise<VersionMessage> {
  return new Promise((resolve, reject) => {
    const stream = registry.PushVersion!((err: ServiceError | null, res: VersionMessage) =>
      err ? reject(err) : resolve(res),
    ) as { write(m: unknown): void; end(): void };
    stream.write({ header: { model, format: 'onnx' } });
    for (let at = 0; at < bytes.length; at += 4096) stream.write({ chunk: bytes.subarray(at, at + 4096) });
    stream.end();
  });
}

async function download(model: string, version: string, offset = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = registry.DownloadVersion!({ model, version, offset }) as AsyncIterable<{ chunk?: Buffer }>;
  for await (const message of stream) if (message.chunk?.length) chunks.push(message.chunk);
  return Buffer.concat(chunks);
}

async function infer(model: string, version: string): Promise<Float32Array> {
  const res = await call<InferResponse>(oip, 'ModelInfer', {
    model_name: model,
    model_version: version,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
    raw_input_contents: [Buffer.from(row.buffer)],
  });
  const raw = res.raw_output_contents[0]!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
}

async function stored(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await s3.getObject(BUCKET, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const err = await promise.then(
    () => undefined,
    (e: ServiceError) => e,
  );
  expect(err, 'the refused artifact was served').toBeDefined();
  return err!;
}

async function inferenceAudit(): Promise<Envelope<'audit.record'>[]> {
  const consumer = await jetstream(nc).consumers.get(STREAMS.audit.name, {
    filter_subjects: 'aimass.audit.>',
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

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: Buffer): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => fs.readFileSync(file).includes(needle));
}

function everyProcessRuns(): void {
  for (const [name, service] of mesh.services) expect(service.child.running, `${name} died`).toBe(true);
}

beforeAll(async () => {
  stateDir = makeScratchDir('encryption');
  mesh = await startMesh({
    stateDir,
    services: ['registry', 'inference'],
    encryption: { masterKey: MASTER_KEY },
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

describe('encryption at rest', () => {
  it('stores ciphertext, serves the model decrypted in memory, and downloads the plaintext', async () => {
    const v1 = await push('sealed', onnx);
    expect(v1.sha256).toBe(createHash('sha256').update(onnx).digest('hex'));
    expect(Number(v1.size_bytes)).toBe(onnx.length);

    const object = await stored(v1.artifact_key);
    expect(object.equals(onnx)).toBe(false);
    expect(object.subarray(0, 8).equals(onnx.subarray(0, 8))).toBe(false);
    // No 32-byte window of the ONNX file (its protobuf header, graph names, weights) is in the object.
    for (let at = 0; at + 32 <= onnx.length; at += 512)
      expect(object.includes(onnx.subarray(at, at + 32)), `plaintext at ${at} is stored`).toBe(false);
    expect(object.includes(Buffer.from('input'))).toBe(false);
    // Nor is any on the disk under the mesh (the S3 store's files, the JetStream store, the logs).
    expect(filesContaining(stateDir, onnx.subarray(0, 64))).toEqual([]);
    expect(filesContaining(stateDir, onnx.subarray(onnx.length - 64))).toEqual([]);

    const session = await ort.InferenceSession.create(onnx);
    const expected = (await session.run({ input: new ort.Tensor('float32', row, [1, 4]) }))[
      session.outputNames[0]!
    ]!.data as Float32Array;
    const got = await infer('sealed', '1');
    expect(Array.from(got)).toEqual(Array.from(expected));

    // The caller of DownloadVersion is authorized to read the version: it gets what it pushed, and
    // a resumed download the rest of it.
    expect((await download('sealed', '1')).equals(onnx)).toBe(true);
    expect((await download('sealed', '1', 1000)).equals(onnx.subarray(1000))).toBe(true);

    // Everything the mesh stored is sealed, not just the artifact.
    const keys: string[] = [];
    for await (const item of s3.listObjectsV2(BUCKET, '', true) as AsyncIterable<{ name?: string }>)
      if (item.name) keys.push(item.name);
    expect(keys).toContain(v1.artifact_key);
    for (const key of keys)
      expect((await stored(key)).subarray(0, 8).toString('latin1'), key).toBe('\x89AIMENC\n');
  }, 60_000);

  it('refuses a version whose stored object has one flipped byte, audits it, and keeps serving the rest', async () => {
    const v2 = await push('sealed', onnx);
    const object = await stored(v2.artifact_key);
    object[Math.floor(object.length / 2)]! ^= 0x01;
    await s3.putObject(BUCKET, v2.artifact_key, object, object.length);

    const err = await refusal(infer('sealed', String(v2.version)));
    expect(status[err.code]).toBe('FAILED_PRECONDITION');
    expect(err.details).toContain(`model "sealed" version ${v2.version} is refused`);
    expect(err.details).toContain('fails authentication in frame 0');
    expect(err.details).toContain('changed or cut short after it was sealed');
    // Refused, not half-loaded: the answer stands, version 1 still serves, nothing crashed.
    expect(status[(await refusal(infer('sealed', String(v2.version)))).code]).toBe('FAILED_PRECONDITION');
    await expect(infer('sealed', '1')).resolves.toHaveLength(3);
    const ready = await call<{ ready: boolean }>(oip, 'ModelReady', {
      name: 'sealed',
      version: String(v2.version),
    });
    expect(ready.ready).toBe(false);

    // The registry's own reads refuse it too.
    const dl = await refusal(download('sealed', String(v2.version)));
    expect(status[dl.code]).toBe('FAILED_PRECONDITION');
    expect(dl.details).toContain('fails authentication');
    everyProcessRuns();

    const records = await vi.waitFor(
      async () => {
        const found = (await inferenceAudit()).filter(
          (e) =>
            e.subject === `models/sealed/versions/${v2.version}` &&
            (e.data as AuditData).action === 'artifact.integrity_failure',
        );
        expect(found.map((e) => (e.data as AuditData).actor).sort()).toEqual(['inference', 'registry']);
        return found;
      },
      { timeout: 10_000, interval: 250 },
    );
    for (const record of records)
      expect((record.data as AuditData).details).toMatchObject({
        model: 'sealed',
        version: v2.version,
        artifact_key: v2.artifact_key,
        reason: 'tampered',
      });
  }, 60_000);

  it('an inference process given another master key refuses the version and says which keys differ', async () => {
    const other = randomBytes(32).toString('base64');
    await mesh.restartService('inference', { AIMASS_MASTER_KEY: other });
    try {
      const err = await refusal(infer('sealed', '1'));
      expect(status[err.code]).toBe('FAILED_PRECONDITION');
      expect(err.details).toMatch(
        /was sealed under master key local:[0-9a-f]{16}, but this process holds local:/,
      );
      expect(err.details).toContain('same AIMASS_MASTER_KEY');
      everyProcessRuns();
    } finally {
      await mesh.restartService('inference');
    }
    // With the mesh's key again, the same version serves.
    await expect(infer('sealed', '1')).resolves.toHaveLength(3);
  }, 90_000);
});
