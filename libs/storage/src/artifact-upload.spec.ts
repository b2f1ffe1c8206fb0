import { InvalidArgumentError, NotFoundError, UnavailableError } from '@aimass/errors';
import { startS3Server, type S3Server } from '@aimass/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ArtifactUpload } from './artifact-upload.js';
import { ObjectStore } from './object-store.js';

/** The stored object's size as S3 reports it, through the store's error translation. */
async function stat(store: ObjectStore, key: string): Promise<{ size: number }> {
  const found = await store.guard(`stat ${key}`, () => store.client.statObject(store.bucket, key));
  return { size: found.size };
}

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const PIECE = 700 * 1024;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Feeds `body` in uneven pieces, the way a gRPC client stream would. */
async function feed(upload: ArtifactUpload, body: Buffer, piece = PIECE): Promise<void> {
  for (let at = 0; at < body.length; at += piece) await upload.write(body.subarray(at, at + piece));
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('ArtifactUpload against s3rver', () => {
  let server: S3Server;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3Server();
    store = new ObjectStore({
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: 'us-east-1',
      bucket: 'upload-spec',
    });
    await store.ensureBucket();
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => server?.stop());

  it('refuses parts below the S3 minimum of 5 MiB', () => {
    expect(() => store.createUpload('x', PART - 1)).toThrow(InvalidArgumentError);
  });

  it('sends an object smaller than one part in a single PUT', async () => {
    const initiate = vi.spyOn(store.client, 'initiateNewMultipartUpload');
    const put = vi.spyOn(store.client, 'putObject');
    const key = `small/${randomUUID()}`;
    const body = randomBytes(PART - 1);
    const upload = store.createUpload(key, PART);
    await feed(upload, body);
    expect(upload.bytesWritten).toBe(body.length);
    const stored = await upload.complete();

    expect(stored).toEqual({ size: body.length, sha256: sha256(body) });
    expect(initiate).not.toHaveBeenCalled();
    expect(put).toHaveBeenCalledTimes(1);
    expect(await stat(store, key)).toEqual({ size: body.length });
    expect((await store.getBuffer(key)).equals(body)).toBe(true);
  });

  it('stores an empty object', async () => {
    const key = `small/${randomUUID()}`;
    const stored = await store.createUpload(key, PART).complete();
    expect(stored).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(await stat(store, key)).toEqual({ size: 0 });
  });

  it('uploads ~12 MiB written in 700 KiB pieces as 5 MiB parts and reads it back whole and from an offset', async () => {
    const uploadPart = vi.spyOn(store.client, 'uploadPart');
    const put = vi.spyOn(store.client, 'putObject');
    const key = `large/${randomUUID()}`;
    const body = randomBytes(12 * MIB + 12_345);
    const upload = store.createUpload(key, PART);
    await feed(upload, body);
    const stored = await upload.complete();

    expect(stored).toEqual({ size: body.length, sha256: sha256(body) });
    expect(put).not.toHaveBeenCalled();
    const sizes = uploadPart.mock.calls.map(([, data]) => (data as Buffer).length);
    expect(sizes).toEqual([PART, PART, body.length - 2 * PART]);
    expect(uploadPart.mock.calls.map(([opts]) => opts.partNumber)).toEqual([1, 2, 3]);

    expect(await stat(store, key)).toEqual({ size: body.length });
    const back = await store.getBuffer(key);
    expect(back.length).toBe(body.length);
    expect(sha256(back)).toBe(stored.sha256);
    const offset = PART + 4_321;
    const tail = await readAll(await store.getStream(key, offset));
    expect(tail.equals(body.subarray(offset))).toBe(true);
  });

  it('copies what it is given: a producer that reuses one buffer for every piece still stores the right bytes', async () => {
    for (const size of [300 * 1024, 3 * MIB + 5, 2 * PART + 4_321]) {
      const key = `reused/${randomUUID()}`;
      const body = randomBytes(size);
      const scratch = Buffer.alloc(PIECE);
      const upload = store.createUpload(key, PART);
      for (let at = 0; at < body.length; at += PIECE) {
        const n = body.copy(scratch, 0, at, at + PIECE);
        await upload.write(scratch.subarray(0, n));
        scratch.fill(0xee);
      }
      expect(await upload.complete()).toEqual({ size, sha256: sha256(body) });
      expect((await store.getBuffer(key)).equals(body)).toBe(true);
    }
  });

  it('reuses part buffers once S3 has taken them: seven parts go through three buffers and come back intact', async () => {
    const uploadPart = vi.spyOn(store.client, 'uploadPart');
    const key = `reuse/${randomUUID()}`;
    const body = randomBytes(6 * PART + 777_777);
    const upload = store.createUpload(key, PART);
    await feed(upload, body, MIB + 3);
    expect(await upload.complete()).toEqual({ size: body.length, sha256: sha256(body) });
    expect(uploadPart).toHaveBeenCalledTimes(7);
    const buffers = new Set(uploadPart.mock.calls.map(([, data]) => (data as Buffer).buffer));
    expect(buffers.size).toBeLessThanOrEqual(3);
    expect((await store.getBuffer(key)).equals(body)).toBe(true);
  });

  it('uploads exactly two parts when the size is a multiple of the part size', async () => {
    const uploadPart = vi.spyOn(store.client, 'uploadPart');
    const key = `large/${randomUUID()}`;
    const body = randomBytes(2 * PART);
    const upload = store.createUpload(key, PART);
    await feed(upload, body, MIB);
    expect(await upload.complete()).toEqual({ size: body.length, sha256: sha256(body) });
    expect(uploadPart).toHaveBeenCalledTimes(2);
    expect((await store.getBuffer(key)).equals(body)).toBe(true);
  });

  it('abort() before complete leaves no object and refuses further writes', async () => {
    const key = `aborted/${randomUUID()}`;
    const upload = store.createUpload(key, PART);
    await feed(upload, randomBytes(MIB));
    await upload.abort();
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
    await expect(upload.write(Buffer.from('more'))).rejects.toThrow(/aborted/);
    await expect(upload.complete()).rejects.toThrow(/aborted/);
  });

  it('abort() in the middle of a multipart upload aborts that upload and leaves no object', async () => {
    const initiate = vi.spyOn(store.client, 'initiateNewMultipartUpload');
    const abortCall = vi.spyOn(store.client, 'abortMultipartUpload');
    const key = `aborted/${randomUUID()}`;
    const upload = store.createUpload(key, PART);
    await feed(upload, randomBytes(PART + 3 * PIECE));
    expect(initiate).toHaveBeenCalledTimes(1);
    const uploadId = await initiate.mock.results[0]!.value;
    await upload.abort();
    // s3rver answers AbortMultipartUpload with 405 (it keeps the parts on disk), so the call itself is
    // what can be checked here; against S3 or MinIO it frees the parts.
    expect(abortCall).toHaveBeenCalledWith(store.bucket, key, uploadId);
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
    await expect(upload.complete()).rejects.toThrow(/aborted/);
  });

  it('abort() after complete removes the stored object', async () => {
    for (const size of [1000, PART + 1]) {
      const key = `aborted/${randomUUID()}`;
      const upload = store.createUpload(key, PART);
      await feed(upload, randomBytes(size));
      await upload.complete();
      expect(await stat(store, key)).toEqual({ size });
      await upload.abort();
      await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it('fails with UnavailableError naming the endpoint when S3 goes away mid-upload, and works again once it is back', async () => {
    const uploadPart = vi.spyOn(store.client, 'uploadPart');
    const key = `outage/${randomUUID()}`;
    const body = randomBytes(12 * MIB);
    const upload = store.createUpload(key, PART);
    await feed(upload, body.subarray(0, PART + PIECE));
    // Part 1 is in flight; let it land before the endpoint goes away.
    await uploadPart.mock.results[0]!.value;
    await server.stop();
    let failure: unknown;
    try {
      await feed(upload, body.subarray(PART + PIECE));
      await upload.complete();
    } catch (err) {
      failure = err;
    }
    try {
      expect(failure).toBeInstanceOf(UnavailableError);
      expect((failure as Error).message).toContain(server.endpoint);
      // Cleanup while S3 is down must not throw either.
      await upload.abort();
    } finally {
      await server.start();
    }
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);

    const retry = store.createUpload(key, PART);
    await feed(retry, body);
    expect(await retry.complete()).toEqual({ size: body.length, sha256: sha256(body) });
    expect((await store.getBuffer(key)).equals(body)).toBe(true);
  });

  it('fails cleanly when S3 goes away while a part is on the wire', async () => {
    const uploadPart = vi.spyOn(store.client, 'uploadPart');
    const key = `outage/${randomUUID()}`;
    const body = randomBytes(12 * MIB);
    const upload = store.createUpload(key, PART);
    await feed(upload, body.subarray(0, PART + PIECE));
    expect(uploadPart).toHaveBeenCalledTimes(1);
    const stopping = server.stop();
    const outcome = (async () => {
      await feed(upload, body.subarray(PART + PIECE));
      return upload.complete();
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    await stopping;
    try {
      expect(await outcome).toBeInstanceOf(UnavailableError);
      await upload.abort();
    } finally {
      await server.start();
    }
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('fails a single-PUT upload with UnavailableError while S3 is down', async () => {
    const key = `outage/${randomUUID()}`;
    const upload = store.createUpload(key, PART);
    await feed(upload, randomBytes(MIB));
    await server.stop();
    try {
      await expect(upload.complete()).rejects.toThrow(UnavailableError);
      await upload.abort();
    } finally {
      await server.start();
    }
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
  });
});
