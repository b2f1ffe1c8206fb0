import { AimassError, NotFoundError, UnavailableError } from '@aimass/errors';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { Pool } from 'undici';
import { ArtifactUpload } from './artifact-upload.js';
import { EnvelopeCipher, ObjectIntegrityError } from './envelope-cipher.js';
import { openFrames } from './envelope-reader.js';
import {
  decodeHeader,
  ENVELOPE_MAGIC,
  EnvelopeFormatError,
  frameOffset,
  isSealed,
  MAX_HEADER_BYTES,
  type EnvelopeHeader,
} from './envelope-format.js';

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
  /** Plaintext bytes, whether or not the object is stored sealed. */
  readonly size: number;
  /** SHA-256 of the plaintext. */
  readonly sha256: string;
}

export interface ReadOptions {
  /**
   * Read an unsealed object even where encryption is on: for objects people put in the bucket
   * themselves (a training job's `s3_key` dataset), never for what the mesh wrote.
   */
  readonly acceptUnsealed?: boolean;
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
 *
 * Encryption at rest is the `cipher`'s (docs/encryption.md): with AIMASS_ENCRYPTION on, every object
 * written is sealed, and every read decrypts, authenticating each frame before its bytes are
 * handed on; callers see plaintext and plaintext sizes and digests either way.
 */
export class ObjectStore {
  readonly client: Client;
  readonly bucket: string;
  /** Keep-alive connections for reads: at most 16 at once, further reads wait for one. */
  private readonly http: Pool;

  constructor(
    private readonly config: ObjectStoreConfig,
    readonly cipher: EnvelopeCipher = new EnvelopeCipher(undefined, false),
  ) {
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
    const stored = this.cipher.sealWrites ? await this.cipher.seal(data) : data;
    await this.guard(`store ${key}`, () => this.client.putObject(this.bucket, key, stored, stored.length));
    return { size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  }

  /**
   * The object's plaintext from `offset` to the end, as a stream. A sealed object's frames are
   * authenticated one by one: ObjectIntegrityError (FAILED_PRECONDITION) surfaces from the stream
   * where one fails, before any of its bytes.
   */
  async getStream(key: string, offset = 0, options: ReadOptions = {}): Promise<Readable> {
    if (offset === 0) return Readable.from(this.plaintextOf(key, await this.rawStream(key, 0), options));
    const head = await this.rawStream(key, 0, MAX_HEADER_BYTES - 1).then((s) => collect(key, s.body));
    if (!isSealed(head)) {
      if (!options.acceptUnsealed) this.cipher.checkUnsealed(key);
      return (await this.rawStream(key, offset)).body;
    }
    const header = this.headerOf(key, head);
    if (!header) throw truncatedHeader(key);
    const dataKey = await this.cipher.dataKey(key, header);
    const first = Math.floor(offset / header.frameBytes);
    const { body, size } = await this.rawStream(key, frameOffset(header, first));
    return Readable.from(
      openFrames(key, header, dataKey, body, size, first, offset - first * header.frameBytes),
    );
  }

  /** Whether the stored object is sealed (encrypted at rest), from its first bytes. */
  async isSealed(key: string): Promise<boolean> {
    const head = await this.rawStream(key, 0, ENVELOPE_MAGIC.length - 1).then((s) => collect(key, s.body));
    return isSealed(head);
  }

  async getBuffer(key: string, options: ReadOptions = {}): Promise<Buffer> {
    return collect(key, await this.getStream(key, 0, options));
  }

  async remove(key: string): Promise<void> {
    await this.guard(`remove ${key}`, () => this.client.removeObject(this.bucket, key));
  }

  /** The stored bytes from `start` (to `end`, inclusive, or the end), and the whole object's size. */
  private rawStream(key: string, start: number, end?: number): Promise<{ body: Readable; size: number }> {
    return this.guard(`read ${key}`, async () => {
      const url = new URL(await this.client.presignedGetObject(this.bucket, key, READ_URL_SECONDS));
      const range = start > 0 || end !== undefined ? `bytes=${start}-${end ?? ''}` : undefined;
      const { statusCode, headers, body } = await this.http.request({
        method: 'GET',
        path: url.pathname + url.search,
        headers: range ? { range } : {},
      });
      if (statusCode === 200 || statusCode === 206) return { body, size: objectSize(headers) };
      throw new S3ResponseError(statusCode, await body.text().catch(() => ''));
    });
  }

  /** A whole object's plaintext: it is sealed when it starts with the marker. */
  private async *plaintextOf(
    key: string,
    { body, size }: { body: Readable; size: number },
    options: ReadOptions,
  ): AsyncGenerator<Buffer> {
    const pieces = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      let head: Buffer = Buffer.alloc(0);
      let header: EnvelopeHeader | undefined;
      for (;;) {
        if (head.length >= ENVELOPE_MAGIC.length && !isSealed(head)) break;
        if (head.length >= ENVELOPE_MAGIC.length && (header = this.headerOf(key, head))) break;
        const next = await pieces.next();
        if (next.done) break;
        head = head.length ? Buffer.concat([head, next.value]) : next.value;
      }
      const rest = { [Symbol.asyncIterator]: () => pieces };
      if (!header) {
        if (isSealed(head)) throw truncatedHeader(key);
        if (!options.acceptUnsealed) this.cipher.checkUnsealed(key);
        if (head.length) yield head;
        yield* rest;
        return;
      }
      const dataKey = await this.cipher.dataKey(key, header);
      yield* openFrames(key, header, dataKey, prepend(head.subarray(header.bytes.length), rest), size);
    } finally {
      body.destroy();
    }
  }

  private headerOf(key: string, head: Buffer): EnvelopeHeader | undefined {
    try {
      return decodeHeader(head);
    } catch (cause) {
      if (!(cause instanceof EnvelopeFormatError)) throw cause;
      throw new ObjectIntegrityError(
        `object ${key} has an unreadable encryption header (${cause.message}): it was changed after it was sealed; it is refused`,
        'tampered',
        key,
        { cause },
      );
    }
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

/** The whole object's size: a ranged answer's Content-Range total, else its Content-Length; NaN when neither says. */
function objectSize(headers: Record<string, string | string[] | undefined>): number {
  const range = headers['content-range'];
  const total = typeof range === 'string' ? /\/(\d+)$/.exec(range)?.[1] : undefined;
  const length = headers['content-length'];
  return Number(total ?? (typeof length === 'string' ? length : NaN));
}

function truncatedHeader(key: string): ObjectIntegrityError {
  return new ObjectIntegrityError(
    `object ${key} ends inside its encryption header: it was cut short after it was sealed; it is refused`,
    'truncated',
    key,
  );
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (first.length) yield first;
  yield* rest;
}

/** Every byte of `stream`; a typed error (an integrity failure) passes, a broken stream is UNAVAILABLE. */
async function collect(key: string, stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (cause) {
    if (cause instanceof AimassError) throw cause;
    throw new UnavailableError(`object storage broke off while reading ${key}: ${String(cause)}`, {
      cause,
    });
  }
  return Buffer.concat(chunks);
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
