import { NotFoundError, UnavailableError } from '@aimass/errors';
import { startS3Server, type S3Server } from '@aimass/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectStore } from './object-store.js';

/** The stored object's size as S3 reports it, through the store's error translation. */
async function stat(store: ObjectStore, key: string): Promise<{ size: number }> {
  const found = await store.guard(`stat ${key}`, () => store.client.statObject(store.bucket, key));
  return { size: found.size };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function storeOn(server: S3Server, bucket: string): ObjectStore {
  return new ObjectStore({
    endpoint: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: 'us-east-1',
    bucket,
  });
}

describe('ObjectStore against s3rver', () => {
  let server: S3Server;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3Server();
    store = storeOn(server, 'object-store-spec');
    await store.ensureBucket();
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('ensureBucket is idempotent and tolerates concurrent callers', async () => {
    const fresh = storeOn(server, `race-${randomUUID().slice(0, 8)}`);
    const racers = Array.from({ length: 5 }, () => storeOn(server, fresh.bucket));
    await Promise.all(racers.map((s) => s.ensureBucket()));
    await fresh.ensureBucket();
    await fresh.ensureBucket();
    expect(await fresh.client.bucketExists(fresh.bucket)).toBe(true);
    const stored = await fresh.putBuffer('probe', Buffer.from('ok'));
    expect(stored.size).toBe(2);
  });

  it('stores a buffer and reads back the same bytes with the right digest and size', async () => {
    const key = `blobs/${randomUUID()}`;
    const body = randomBytes(300 * 1024 + 3);
    const stored = await store.putBuffer(key, body);
    expect(stored).toEqual({ size: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(await stat(store, key)).toEqual({ size: body.length });
    expect((await store.getBuffer(key)).equals(body)).toBe(true);
  });

  it('reads from an offset to the end', async () => {
    const key = `blobs/${randomUUID()}`;
    const body = randomBytes(64 * 1024);
    await store.putBuffer(key, body);
    const tail = await readAll(await store.getStream(key, 40_000));
    expect(tail.equals(body.subarray(40_000))).toBe(true);
  });

  it('reports a missing key as NotFoundError from stat, getStream and getBuffer', async () => {
    const key = `missing/${randomUUID()}`;
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getStream(key)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getStream(key, 10)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.getBuffer(key)).rejects.toThrow(new RegExp(`no .*${key}`));
  });

  it('remove() deletes an object', async () => {
    const key = `blobs/${randomUUID()}`;
    await store.putBuffer(key, Buffer.from('short-lived'));
    await store.remove(key);
    await expect(stat(store, key)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('fails a read that the endpoint cuts off mid-body, instead of ending it short', async () => {
    const key = `blobs/${randomUUID()}`;
    // Larger than the loopback socket buffers, so most of it is still unsent when the endpoint stops.
    const body = randomBytes(48 * 1024 * 1024);
    await store.putBuffer(key, body);
    const stream = await store.getStream(key);
    const chunks = stream[Symbol.asyncIterator]();
    let received = ((await chunks.next()).value as Buffer).length;
    await server.stop();
    try {
      const read = (async () => {
        for (let next = await chunks.next(); !next.done; next = await chunks.next())
          received += (next.value as Buffer).length;
      })();
      await expect(read).rejects.toThrow();
      expect(received).toBeLessThan(body.length);
    } finally {
      await server.start();
    }
  });

  it.each([
    ['a wrong access key', { accessKey: 'NOT-S3RVER' }, /InvalidAccessKeyId/],
    ['a bucket that does not exist', { bucket: 'no-such-bucket-here' }, /NoSuchBucket/],
  ])('names the S3 error when a read is refused for %s', async (_what, change, reason) => {
    const key = `blobs/${randomUUID()}`;
    await store.putBuffer(key, Buffer.from('guarded'));
    const other = new ObjectStore({
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: 'us-east-1',
      bucket: store.bucket,
      ...change,
    });
    try {
      const err = await other.getStream(key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toMatch(reason);
      expect((err as Error).message).toContain(key);
    } finally {
      await other.close();
    }
  });

  it('turns a stopped endpoint into UnavailableError naming it, and recovers after a restart', async () => {
    const key = `blobs/${randomUUID()}`;
    await store.putBuffer(key, Buffer.from('survives restarts'));
    await server.stop();
    try {
      const err = await stat(store, key).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toContain(server.endpoint);
      await expect(store.ensureBucket()).rejects.toBeInstanceOf(UnavailableError);
      await expect(store.getStream(key)).rejects.toThrow(new RegExp(`${server.endpoint}.*read ${key}`));
    } finally {
      await server.start();
    }
    expect((await store.getBuffer(key)).toString()).toBe('survives restarts');
  });
});

describe('ObjectStore against an endpoint that accepts connections and never answers', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let endpoint: string;

  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it.each([
    ['a write', (store: ObjectStore) => store.putBuffer('blobs/silent', Buffer.from('x'))],
    ['a read', (store: ObjectStore) => store.getBuffer('blobs/silent')],
  ])('gives up on %s after AIMASS_S3_TIMEOUT_MS with UnavailableError', async (_what, call) => {
    const store = new ObjectStore({
      endpoint,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      region: 'us-east-1',
      bucket: 'silent',
      timeoutMs: 300,
    });
    try {
      const started = performance.now();
      const err = await call(store).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toContain(endpoint);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await store.close();
    }
  });
});
