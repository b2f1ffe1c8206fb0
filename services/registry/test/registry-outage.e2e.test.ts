import type { registryv1 } from '@aimass/contracts';
import { ObjectStore } from '@aimass/storage';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  failure,
  pieces,
  push,
  sha256,
  startRegistry,
  unary,
  type RegistryUnderTest,
} from './registry-harness.js';

// The S3 endpoint goes away in the middle of a large push.

let t: RegistryUnderTest;
// About 32 MiB of weights: two 16 MiB parts and a tail.
const bytes = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 1024, hidden: [4096], outputDim: 1024, seed: 5, activation: 'relu' }),
  ),
);

beforeAll(async () => {
  t = await startRegistry();
});
afterAll(async () => t?.stop());

describe('S3 outage during a push', () => {
  it('answers UNAVAILABLE, leaves no version and no object, and a retry succeeds once S3 is back', async () => {
    let stopped: Promise<void> | undefined;
    const err = await failure(
      push(
        t.client,
        { model: 'outage', format: 'onnx', size_bytes: String(bytes.length), sha256: sha256(bytes) },
        pieces(bytes, 1024 * 1024),
        async (sent) => {
          if (sent >= 20 * 1024 * 1024 && !stopped) {
            stopped = t.s3.stop();
            await stopped;
          }
        },
      ),
    );
    expect(stopped).toBeDefined();
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toContain(t.s3.endpoint);
    await stopped;
    await t.s3.start();

    // The model record may exist (it is created on first commit only), but no version does.
    const versions = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
      t.client.ListVersions({ model: 'outage' }, cb),
    ).catch((e: { code: number }) => e);
    if ('code' in versions) expect(versions.code).toBe(status.NOT_FOUND);
    else expect(versions.versions).toEqual([]);

    const retried = await push(
      t.client,
      { model: 'outage', format: 'onnx', size_bytes: String(bytes.length), sha256: sha256(bytes) },
      pieces(bytes, 1024 * 1024),
    );
    expect(retried.version).toBe(1);
    const back = await download(t.client, 'outage', '1');
    expect(sha256(back.bytes)).toBe(sha256(bytes));

    // Only the retried artifact is stored: the interrupted upload left no object behind.
    const store = new ObjectStore({
      endpoint: t.s3.endpoint,
      accessKey: t.s3.accessKey,
      secretKey: t.s3.secretKey,
      region: 'us-east-1',
      bucket: 'aimass-artifacts',
    });
    const keys: string[] = [];
    for await (const item of store.client.listObjectsV2(store.bucket, 'models/outage/', true))
      keys.push((item as { name: string }).name);
    expect(keys).toEqual([retried.artifact_key]);
  });
});
