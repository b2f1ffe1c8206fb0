import { NotFoundError, UnavailableError } from '@aimass/errors';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { Pool } from 'undici';
import { ArtifactUpload } from './artifact-upload.js';

/** How long a read's signed URL stays valid; it is used at once, so this only has to cover clock skew. */
const READ_URL_SECONDS = 300;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ObjectStoreConfig {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  readonly bucket: string;
  /** How long one request may go without progress before it fails (AIMASS_S3_TIMEOUT_MS); 30 s when absent. */
  readonly timeoutMs?: number;
}

export interface StoredObject {
  readonly size: number;
  readonly sha256: string;
}

/**
 * The one wrapper over the MinIO client: a single bucket, streamed uploads with a SHA-256 computed
 * on the way in, ranged downloads. Network failures surface as UnavailableError, missing keys as
 * NotFoundError. A request that makes no progress for `timeoutMs` (an endpoint that is frozen or
 * unreachable without a refusal) is abandoned: neither the MinIO client nor undici's defaults would
 * give up on a silent endpoint within minutes, and a push would hang for as long.
 *
 * Reads are signed by the MinIO client (a pre-signed GET) and carried by undici. Node's http module,
 * which the MinIO client uses, copies every piece of a response body out of the socket's buffer
 * into a new one; undici hands out views of the socket's buffer. Artifact downloads relay hundreds
 * of MiB, and that copy was a third of the registry's CPU per download.
 */
export class ObjectStore {
  readonly client: Client;
  readonly bucket: string;
  /** Keep-alive connections for reads: at most 16 at once, further reads wait for one. */
  private readonly http: Pool;

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
      transport: idleTimeoutTransport(url.protocol === 'https:' ? https : http, this.timeoutMs),
    });
    this.bucket = config.bucket;
    this.http = new Pool(url.origin, {
      connections: 16,
      connectTimeout: this.timeoutMs,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  private get timeoutMs(): number {
    return this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Closes the read connections; calls after this fail. */
  async close(): Promise<void> {
    await this.http.close();
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

  /** The object's bytes from `offset` to the end, as a stream. */
  async getStream(key: string, offset = 0): Promise<Readable> {
    return this.guard(`read ${key}`, async () => {
      const url = new URL(await this.client.presignedGetObject(this.bucket, key, READ_URL_SECONDS));
      const { statusCode, body } = await this.http.request({
        method: 'GET',
        path: url.pathname + url.search,
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      });
      if (statusCode === 200 || statusCode === 206) return body;
      throw new S3ResponseError(statusCode, await body.text().catch(() => ''));
    });
  }

  async getBuffer(key: string): Promise<Buffer> {
    const stream = await this.getStream(key);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch (cause) {
      throw new UnavailableError(`object storage broke off while reading ${key}: ${String(cause)}`, {
        cause,
      });
    }
    return Buffer.concat(chunks);
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
      if (code === 'NoSuchKey' || code === 'NotFound')
        throw new NotFoundError(`object storage has no ${what.replace(/^\w+ /, '')}`, { cause });
      throw new UnavailableError(
        `object storage (${this.config.endpoint}) failed to ${what}: ${(cause as Error).message ?? String(cause)}; retry once it is reachable`,
        { cause },
      );
    }
  }
}

/**
 * The MinIO client's transport: node's http(s).request, with each request destroyed once its socket
 * has been idle for `timeoutMs` before the response has fully arrived. Idle, not total: a large part
 * that keeps moving is never cut off.
 */
function idleTimeoutTransport(
  transport: typeof http | typeof https,
  timeoutMs: number,
): Pick<typeof http, 'request'> {
  return {
    request: ((options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
      let response: http.IncomingMessage | undefined;
      const req = transport.request(options, (res) => {
        response = res;
        callback?.(res);
      });
      req.setTimeout(timeoutMs, () => {
        if (response?.complete) return;
        req.destroy(new S3TimeoutError(timeoutMs));
      });
      return req;
    }) as typeof http.request,
  };
}

class S3TimeoutError extends Error {
  override readonly name = 'S3TimeoutError';
  constructor(timeoutMs: number) {
    super(`no progress within ${timeoutMs} ms (AIMASS_S3_TIMEOUT_MS)`);
  }
}

/** An S3 error answer to a request made outside the MinIO client; `code` as S3 names it (NoSuchKey, AccessDenied, ...). */
class S3ResponseError extends Error {
  readonly code: string;

  constructor(status: number, body: string) {
    // S3 errors are <Error><Code>..</Code><Message>..</Message>...</Error>; only these two are shown.
    const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? (status === 404 ? 'NotFound' : `HTTP${status}`);
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    super(`S3 answered HTTP ${status} ${code}${message ? `: ${message}` : ''}`);
    this.code = code;
  }
}
