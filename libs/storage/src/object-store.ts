import { NotFoundError, UnavailableError } from '@aimass/errors';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { ArtifactUpload } from './artifact-upload.js';

export interface ObjectStoreConfig {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  readonly bucket: string;
}

export interface StoredObject {
  readonly size: number;
  readonly sha256: string;
}

/**
 * The one wrapper over the MinIO client: a single bucket, streamed uploads with a SHA-256 computed
 * on the way in, ranged downloads. Network failures surface as UnavailableError, missing keys as
 * NotFoundError.
 */
export class ObjectStore {
  readonly client: Client;
  readonly bucket: string;

  constructor(private readonly config: ObjectStoreConfig) {
    const url = new URL(config.endpoint);
    this.client = new Client({
      endPoint: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      useSSL: url.protocol === 'https:',
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      pathStyle: true,
    });
    this.bucket = config.bucket;
  }

  async ensureBucket(): Promise<void> {
    await this.guard('check the bucket', async () => {
      if (!(await this.client.bucketExists(this.bucket))) {
        await this.client.makeBucket(this.bucket, this.config.region).catch(async (err: unknown) => {
          // Another process may have created it in between.
          if (!(await this.client.bucketExists(this.bucket))) throw err;
        });
      }
    });
  }

  /** Starts a chunked upload; see ArtifactUpload for ownership of the parts. */
  createUpload(key: string, partSize?: number): ArtifactUpload {
    return new ArtifactUpload(this, key, partSize);
  }

  async putBuffer(key: string, data: Buffer): Promise<StoredObject> {
    await this.guard(`store ${key}`, () => this.client.putObject(this.bucket, key, data, data.length));
    return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }

  async getStream(key: string, offset = 0): Promise<Readable> {
    return this.guard(`read ${key}`, () =>
      offset > 0 ? this.client.getPartialObject(this.bucket, key, offset) : this.client.getObject(this.bucket, key),
    );
  }

  async getBuffer(key: string): Promise<Buffer> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (cause) {
      throw new UnavailableError(`object storage broke off while reading ${key}: ${String(cause)}`, { cause });
    }
    return Buffer.concat(chunks);
  }

  async stat(key: string): Promise<{ size: number }> {
    const stat = await this.guard(`stat ${key}`, () => this.client.statObject(this.bucket, key));
    return { size: stat.size };
  }

  async remove(key: string): Promise<void> {
    await this.guard(`remove ${key}`, () => this.client.removeObject(this.bucket, key));
  }

  /** Runs an S3 call, translating its failures into typed errors. */
  async guard<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if (code === 'NoSuchKey' || code === 'NotFound') throw new NotFoundError(`object storage has no ${what.replace(/^\w+ /, '')}`, { cause });
      throw new UnavailableError(`object storage (${this.config.endpoint}) failed to ${what}: ${(cause as Error).message ?? String(cause)}`, { cause });
    }
  }
}
