import { InvalidArgumentError } from '@aimass/errors';
import { createHash, type Hash } from 'node:crypto';
import type { EnvelopeSealer } from './envelope-cipher.js';
import type { ObjectStore, StoredObject } from './object-store.js';

const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS_IN_FLIGHT = 2;
/** The first part's buffer starts this small and doubles up to the part size, so a small artifact holds little memory. */
const FIRST_BUFFER_BYTES = 256 * 1024;

/**
 * A streamed upload of one object, fed chunk by chunk (e.g. from a gRPC client stream).
 * Bytes are hashed as they arrive. Objects smaller than one part go up in a single PUT; larger ones
 * use a multipart upload driven here (S3 servers such as s3rver do not implement the listing calls
 * minio-js would need to drive it itself), with up to two parts in flight while a third fills. Each
 * byte is copied once, into the buffer of the part it belongs to; a part's buffer is reused once S3
 * has taken it, so a large upload allocates three part buffers, not one per part (fewer large
 * allocations, less GC).
 *
 * Where the store seals objects (AIMASS_ENCRYPTION), the bytes are hashed as plaintext and stored
 * as the frames of a sealed object; `bytesWritten` and the StoredObject count plaintext.
 *
 * The upload owns its parts until complete() returns; abort() removes everything it wrote, so an
 * interrupted upload leaves nothing behind.
 */
export class ArtifactUpload {
  private readonly hash: Hash = createHash('sha256');
  /** The part being filled: its buffer, and how many bytes of it are filled. */
  private part: Buffer | undefined;
  private partBytes = 0;
  private size = 0;
  private uploadId: string | undefined;
  private readonly parts: { part: number; etag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  /** Full-size part buffers whose upload finished, ready to be filled again. */
  private readonly spare: Buffer[] = [];
  private failure: unknown;
  private nextPart = 1;
  private state: 'open' | 'completed' | 'aborted' = 'open';
  /** Where the store seals objects: the sealer of this one, made on the first write. */
  private sealer: Promise<EnvelopeSealer> | undefined;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly partSize = DEFAULT_PART_SIZE,
  ) {
    if (partSize < 5 * 1024 * 1024)
      throw new InvalidArgumentError('S3 multipart parts must be at least 5 MiB');
  }

  get bytesWritten(): number {
    return this.size;
  }

  /**
   * Adds bytes. Resolves once they are buffered or handed to S3 (back-pressure for the producer).
   * The bytes are copied: the caller may reuse `chunk` once write() resolves.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen();
    this.hash.update(chunk);
    this.size += chunk.length;
    if (!this.store.cipher.sealWrites) return this.storeBytes(chunk);
    for (const sealed of (await this.sealerOf()).push(chunk)) await this.storeBytes(sealed);
  }

  private sealerOf(): Promise<EnvelopeSealer> {
    this.sealer ??= this.store.cipher.sealer();
    return this.sealer;
  }

  /** Copies stored bytes into parts, sending each part once it is full. */
  private async storeBytes(chunk: Uint8Array): Promise<void> {
    for (let at = 0; at < chunk.length;) {
      const part = this.room(chunk.length - at);
      const n = Math.min(part.length - this.partBytes, chunk.length - at);
      part.set(chunk.subarray(at, at + n), this.partBytes);
      this.partBytes += n;
      at += n;
      if (this.partBytes === this.partSize) {
        this.part = undefined;
        this.partBytes = 0;
        await this.sendPart(part);
      }
    }
  }

  /** Stores the remaining bytes and makes the object visible. */
  async complete(): Promise<StoredObject> {
    this.assertOpen();
    if (this.store.cipher.sealWrites)
      for (const sealed of (await this.sealerOf()).finish()) await this.storeBytes(sealed);
    const rest = this.part ? this.part.subarray(0, this.partBytes) : Buffer.alloc(0);
    this.part = undefined;
    this.partBytes = 0;
    if (this.uploadId === undefined) {
      await this.store.guard(`store ${this.key}`, () =>
        this.store.client.putObject(this.store.bucket, this.key, rest, rest.length),
      );
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

  /** The buffer of the part being filled, grown (by doubling, up to the part size) to fit `wanted` more bytes if it can. */
  private room(wanted: number): Buffer {
    const current = this.part;
    if (current && (current.length === this.partSize || current.length - this.partBytes >= wanted))
      return current;
    // Once one part went out the object is large: later parts start at full size.
    if (!current && this.nextPart > 1) {
      const reused = this.spare.pop() ?? Buffer.allocUnsafe(this.partSize);
      this.part = reused;
      return reused;
    }
    let capacity = current ? current.length : Math.min(this.partSize, FIRST_BUFFER_BYTES);
    while (capacity < this.partSize && capacity - this.partBytes < wanted)
      capacity = Math.min(this.partSize, capacity * 2);
    const grown = Buffer.allocUnsafe(capacity);
    if (current) current.copy(grown, 0, 0, this.partBytes);
    this.part = grown;
    return grown;
  }

  /**
   * Starts uploading a full part once fewer than MAX_PARTS_IN_FLIGHT are in flight. The wait comes
   * before the start, not after: while two parts upload, the producer fills a third buffer, so S3
   * has the next part the moment one finishes instead of idling while it is filled.
   */
  private async sendPart(data: Buffer): Promise<void> {
    while (this.inFlight.size >= MAX_PARTS_IN_FLIGHT && !this.failure) await Promise.race(this.inFlight);
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
        this.store.client.uploadPart(
          { bucketName: this.store.bucket, objectName: this.key, uploadID, partNumber, headers: {} },
          data,
        ),
      )
      .then((r) => {
        this.parts.push({ part: partNumber, etag: r.etag });
        // The request is over, so nothing reads `data` any more; only a failed part's buffer is dropped.
        if (data.length === this.partSize && this.state === 'open') this.spare.push(data);
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`upload of ${this.key} is ${this.state}`);
  }
}
