import type { registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Client as S3Client } from 'minio';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The S3 endpoint goes away under several concurrent streamed pushes: killed (-9) and later started
// again on the same port and data, or frozen (SIGSTOP) for a bounded time. Each push that cannot
// finish ends with UNAVAILABLE and a message naming object storage; no version whose artifact is
// missing or partial is ever listed; pushing again once S3 is back succeeds, and the version numbers
// stay gap-free. Every push here is held at its midpoint until the fault is in place, so each one
// meets it mid-stream whatever the machine's speed.

/** S3 request timeout the registry runs with here; a frozen endpoint must not hold a push longer. */
const S3_TIMEOUT_MS = 2_000;
const FREEZE_MS = 8_000;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const network = (inputDim: number, hidden: number, seed: number) =>
  Buffer.from(
    exportDenseNetwork(
      randomDenseNetwork({ inputDim, hidden: [hidden], outputDim: inputDim, seed, activation: 'relu' }),
    ),
  );
/** About 20 MiB: one full 16 MiB multipart part and a tail. */
const large = network(640, 4096, 1);
/** About 130 KiB: one PUT at the end of the stream. */
const small = network(32, 512, 2);
const CHUNK = 256 * 1024;

let mesh: Mesh;
let client: registryv1.RegistryServiceClient;

interface Outcome {
  readonly code: status;
  readonly details: string;
  readonly version?: registryv1.ModelVersion__Output;
  readonly ms: number;
}

/**
 * Streams `bytes` as a push of `model`; after `holdAt` bytes it waits for `gate` (the fault) before
 * sending the rest. `arrived` is called when it reaches the gate.
 */
function push(
  model: string,
  bytes: Buffer,
  hold?: { at: number; arrived: () => void; gate: Promise<void> },
): Promise<Outcome> {
  const started = performance.now();
  let answered = false;
  return new Promise((resolve) => {
    const call = client.PushVersion({ deadline: Date.now() + 60_000 }, (err, res) => {
      answered = true;
      const ms = performance.now() - started;
      resolve(
        err
          ? { code: err.code, details: err.details, ms }
          : { code: status.OK, details: '', version: res!, ms },
      );
    });
    void (async () => {
      call.write({
        header: { model, format: 'onnx', size_bytes: String(bytes.length), sha256: sha256(bytes) },
      });
      const chunk = Math.min(CHUNK, Math.ceil(bytes.length / 8));
      for (let at = 0; at < bytes.length && !answered; at += chunk) {
        if (hold && at >= hold.at && at - chunk < hold.at) {
          hold.arrived();
          await hold.gate;
        }
        if (!call.write({ chunk: bytes.subarray(at, at + chunk) }))
          await new Promise((r) => call.once('drain', r));
      }
      if (!answered) call.end();
    })();
  });
}

/** Where a push waits for the fault: past its first 16 MiB multipart part when it has one, so that part is under way. */
function midpoint(bytes: Buffer): number {
  return bytes.length > 17 * 1024 * 1024 ? 17 * 1024 * 1024 : Math.floor(bytes.length / 2);
}

/** Starts the given pushes, each held at its midpoint until `fault` (run once all have arrived) is done. */
async function pushesMeeting(
  model: string,
  artifacts: Buffer[],
  fault: () => Promise<void>,
): Promise<Outcome[]> {
  let arrivedCount = 0;
  let allArrived!: () => void;
  const arrived = new Promise<void>((r) => (allArrived = r));
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const outcomes = Promise.all(
    artifacts.map((bytes) =>
      push(model, bytes, {
        at: midpoint(bytes),
        gate,
        arrived: () => ++arrivedCount === artifacts.length && allArrived(),
      }),
    ),
  );
  await arrived;
  await fault();
  open();
  return outcomes;
}

function listVersions(model: string): Promise<registryv1.ModelVersion__Output[]> {
  return new Promise((resolve, reject) =>
    client.ListVersions(
      { model },
      (err: ServiceError | null, res?: registryv1.ListVersionsResponse__Output) =>
        err ? reject(err) : resolve(res!.versions),
    ),
  );
}

async function download(model: string, version: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const m of client.DownloadVersion({
    model,
    version: String(version),
    offset: 0,
  }) as AsyncIterable<registryv1.DownloadVersionChunk__Output>)
    chunks.push(m.chunk);
  return Buffer.concat(chunks);
}

/** Every listed version downloads whole, with the size and digest it was committed with. */
async function expectWholeVersions(model: string): Promise<number[]> {
  const versions = await listVersions(model);
  for (const v of versions) {
    const bytes = await download(model, v.version);
    expect(bytes.length, `version ${v.version} size`).toBe(Number(v.size_bytes));
    expect(sha256(bytes), `version ${v.version} digest`).toBe(v.sha256);
  }
  return versions.map((v) => v.version).sort((a, b) => a - b);
}

async function objectKeys(prefix: string): Promise<string[]> {
  const url = new URL(mesh.s3.endpoint);
  const s3 = new S3Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: mesh.s3.accessKey,
    secretKey: mesh.s3.secretKey,
    region: 'us-east-1',
    pathStyle: true,
  });
  const keys: string[] = [];
  for await (const item of s3.listObjectsV2('aimass-artifacts', prefix, true))
    keys.push((item as { name: string }).name);
  return keys.sort();
}

function expectCleanFailures(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    expect(status[o.code], o.details).toBe('UNAVAILABLE');
    expect(o.details).toMatch(/object storage/);
    expect(o.details).toContain(mesh.s3.endpoint);
  }
}

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('s3-outage-pushes'),
    services: ['registry'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_S3_TIMEOUT_MS: String(S3_TIMEOUT_MS) },
  });
  client = createMeshClient<registryv1.RegistryServiceClient>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
}, 120_000);

afterAll(async () => {
  client?.close();
  try {
    process.kill(mesh.s3.child.pid, 'SIGCONT');
  } catch {
    // not running
  }
  await mesh?.stop();
});

describe('S3 stopped under concurrent pushes', () => {
  it('kill -9: each push gets UNAVAILABLE, nothing half-written is listed, retries succeed gap-free', async () => {
    expect((await push('killed', small)).code).toBe(status.OK);
    const artifacts = [large, large, small, small, small];
    const outcomes = await pushesMeeting('killed', artifacts, async () => {
      process.kill(mesh.s3.child.pid, 'SIGKILL');
      await mesh.s3.stop();
    });
    // And a push that starts while S3 is down.
    const late = await push('killed', small);
    expectCleanFailures([...outcomes, late]);

    await mesh.s3.start();
    expect(await expectWholeVersions('killed')).toEqual([1]);

    const retried = await Promise.all([...artifacts, small].map((bytes) => push('killed', bytes)));
    expect(retried.map((o) => status[o.code])).toEqual(retried.map(() => 'OK'));
    expect(await expectWholeVersions('killed')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const listed = await listVersions('killed');
    expect(await objectKeys('models/killed/')).toEqual(listed.map((v) => v.artifact_key).sort());
  }, 60_000);

  it('SIGSTOP: pushes end with UNAVAILABLE within the S3 timeout while S3 is frozen, then succeed', async () => {
    expect((await push('frozen', small)).code).toBe(status.OK);
    const artifacts = [large, small, small];
    let frozenAt = 0;
    const pid = mesh.s3.child.pid;
    let thawed: Promise<void> | undefined;
    const outcomes = await pushesMeeting('frozen', artifacts, async () => {
      process.kill(pid, 'SIGSTOP');
      frozenAt = performance.now();
      thawed = new Promise<void>((resolve) => setTimeout(resolve, FREEZE_MS)).then(() => {
        process.kill(pid, 'SIGCONT');
      });
    });
    const answeredAfter = performance.now() - frozenAt;
    expectCleanFailures(outcomes);
    // Answered while S3 was still frozen: the registry does not wait on a dead endpoint.
    expect(answeredAfter).toBeLessThan(FREEZE_MS);
    await thawed;

    expect(await expectWholeVersions('frozen')).toEqual([1]);
    const retried = await Promise.all(artifacts.map((bytes) => push('frozen', bytes)));
    expect(retried.map((o) => status[o.code])).toEqual(retried.map(() => 'OK'));
    expect(await expectWholeVersions('frozen')).toEqual([1, 2, 3, 4]);
  }, 60_000);
});
