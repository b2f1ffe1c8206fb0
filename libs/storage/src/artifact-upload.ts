import { InvalidArgumentError } from '@aimass/errors';
import { createHash, type Hash } from 'node:crypto';
import type { ObjectStore, StoredObject } from './object-store.js';

const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS_IN_FLIGHT = 2;

/**
 * A streamed upload of one object, fed chunk by chunk (e.g. from a gRPC client stream).
 * Bytes are hashed as they arrive. Objects smaller than one part go up in a single PUT; larger ones
 * use a multipart upload driven here (S3 servers such as s3rver do not implement the listing calls
 * minio-js would need to drive it itself), with up to two parts in flight.
 *
 * The upload owns its parts until complete() returns; abort() removes everything it wrote, so an
 * interrupted upload leaves nothing behind.
 */
export class ArtifactUpload {
  private readonly hash: Hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private size = 0;
  private uploadId: string | undefined;
  private readonly parts: { part: number; etag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  private nextPart = 1;
  private state: 'open' | 'completed' | 'aborted' = 'open';

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly partSize = DEFAULT_PART_SIZE,
  ) {
    if (partSize < 5 * 1024 * 1024) throw new InvalidArgumentError('S3 multipart parts must be at least 5 MiB');
  }

  get bytesWritten(): number {
    return this.size;
  }

  /** Adds bytes. Resolves once they are buffered or handed to S3 (back-pressure for the producer). */
  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen();
    // A copy: the caller may reuse its buffer once write() resolves, and parts are sent later.
    const buf = Buffer.from(chunk);
    this.hash.update(buf);
    this.size += buf.length;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    while (this.pendingBytes >= this.partSize) {
      const part = this.take(this.partSize);
      await this.sendPart(part);
    }
  }

  /** Stores the remaining bytes and makes the object visible. */
  async complete(): Promise<StoredObject> {
    this.assertOpen();
    const rest = this.take(this.pendingBytes);
    if (this.uploadId === undefined) {
      await this.store.guard(`store ${this.key}`, () => this.store.client.putObject(this.store.bucket, this.key, rest, rest.length));
    } else {
      if (rest.length > 0) await this.sendPart(rest);
      await Promise.all(this.inFlight);
      if (this.failure) throw this.failure;
      const uploadId = this.uploadId;
      const etags = [...this.parts].sort((a, b) => a.part - b.part);
      await this.store.guard(`complete ${this.key}`, () =>
        this.store.client.completeMultipartUpload(this.store.bucket, this.key, uploadId, etags),
      );
    }
    this.state = 'completed';
    return { size: this.size, sha256: this.hash.digest('hex') };
  }

  /** Removes whatever was written: the in-progress multipart upload, or the completed object. */
  async abort(): Promise<void> {
    const wasCompleted = this.state === 'completed';
    this.state = 'aborted';
    await Promise.allSettled(this.inFlight);
    const client = this.store.client;
    if (this.uploadId !== undefined && !wasCompleted) {
      await client.abortMultipartUpload(this.store.bucket, this.key, this.uploadId).catch(() => undefined);
    }
    if (wasCompleted) await client.removeObject(this.store.bucket, this.key).catch(() => undefined);
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const head = all.subarray(0, n);
    const tail = all.subarray(n);
    this.pending = tail.length > 0 ? [tail] : [];
    this.pendingBytes = tail.length;
    return head;
  }

  private async sendPart(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.uploadId === undefined) {
      this.uploadId = await this.store.guard(`start uploading ${this.key}`, () =>
        this.store.client.initiateNewMultipartUpload(this.store.bucket, this.key, {}),
      );
    }
    const uploadID = this.uploadId;
    const partNumber = this.nextPart++;
    const task: Promise<void> = this.store
      .guard(`upload part ${partNumber} of ${this.key}`, () =>
        this.store.client.uploadPart({ bucketName: this.store.bucket, objectName: this.key, uploadID, partNumber, headers: {} }, data),
      )
      .then((r) => {
        this.parts.push({ part: partNumber, etag: r.etag });
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    if (this.inFlight.size >= MAX_PARTS_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`upload of ${this.key} is ${this.state}`);
  }
}
