import { once } from 'node:events';
import fs from 'node:fs';
import type { ClientWritableStream } from '@grpc/grpc-js';
import { STREAM_CHUNK_BYTES, type registryv1 } from '@aimass/contracts';
import { unreadable } from './errors.js';
import { regularFileSize, sha256OfFile } from './file-digest.js';

/** Bytes per `chunk` message (see STREAM_CHUNK_BYTES). */
export const UPLOAD_CHUNK_BYTES = STREAM_CHUNK_BYTES;

/** Called as each phase starts (`hash` reads the file once, `upload` sends it), then with the bytes done in it. */
export interface UploadProgress {
  readonly onPhase?: (phase: 'hash' | 'upload', totalBytes: number) => void;
  /** Bytes done in the current phase; during upload, bytes accepted by the gRPC stream. */
  readonly onProgress?: (doneBytes: number) => void;
}

export interface PushArtifactRequest extends UploadProgress {
  readonly model: string;
  readonly file: string;
  readonly format: string;
  readonly alias?: string | undefined;
  readonly description?: string | undefined;
}

/** A client-streaming upload: a header message, then `chunk` messages. */
type UploadCall<H> = ClientWritableStream<{ header: H } | { chunk: Buffer }>;
type Reply<R> = (err: Error | null, value?: R) => void;

/** Streams a model file to RegistryService.PushVersion (see uploadFile). */
export function pushArtifact(
  client: registryv1.RegistryServiceClient,
  request: PushArtifactRequest,
): Promise<registryv1.ModelVersion__Output> {
  return uploadFile(
    (reply: Reply<registryv1.ModelVersion__Output>) => client.PushVersion(reply),
    (size, sha256): registryv1.PushVersionHeader => ({
      model: request.model,
      format: request.format,
      size_bytes: String(size),
      sha256,
      alias: request.alias ?? '',
      description: request.description ?? '',
    }),
    request.file,
    request,
  );
}

/**
 * Streams a file to a client-streaming registry call: the header (with the file's size and SHA-256,
 * so the registry refuses a torn or altered upload), then ~4 MiB chunks. Writing waits on 'drain'
 * whenever the call's buffer is full, so memory stays bounded whatever the file size. When the
 * registry answers before the last chunk (a refusal), reading stops and its answer is returned or
 * thrown.
 */
export async function uploadFile<H, R>(
  open: (reply: Reply<R>) => UploadCall<H>,
  headerFor: (size: number, sha256: string) => H,
  file: string,
  progress: UploadProgress,
): Promise<R> {
  const size = await regularFileSize(file);
  progress.onPhase?.('hash', size);
  const sha256 = await sha256OfFile(file, progress.onProgress);

  let call!: UploadCall<H>;
  const response = new Promise<R>((resolve, reject) => {
    call = open((err, value) => {
      if (err) reject(err);
      else if (value) resolve(value);
      else reject(new Error('the upload finished without an answer'));
    });
  });
  const answered = new AbortController();
  response.then(
    () => answered.abort(),
    () => answered.abort(),
  );

  progress.onPhase?.('upload', size);
  try {
    await writeParts(call, headerFor(size, sha256), file, answered.signal, progress.onProgress);
  } catch (err) {
    // A local read failure: the registry must not keep a half-sent upload open.
    call.cancel();
    response.catch(() => undefined);
    throw err;
  }
  return response;
}

async function writeParts<H>(
  call: UploadCall<H>,
  header: H,
  file: string,
  answered: AbortSignal,
  onProgress: ((done: number) => void) | undefined,
): Promise<void> {
  if (!call.write({ header })) await drained(call, answered);
  const chunks = fs.createReadStream(file, { highWaterMark: UPLOAD_CHUNK_BYTES })[Symbol.asyncIterator]();
  let sent = 0;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = (await chunks.next()) as IteratorResult<Buffer>;
      } catch (err) {
        throw unreadable(file, err);
      }
      if (answered.aborted) return;
      if (next.done) break;
      sent += next.value.length;
      if (!call.write({ chunk: next.value })) await drained(call, answered);
      onProgress?.(sent);
    }
  } finally {
    // Closes the file whether the loop finished, the registry answered early, or a read failed.
    await chunks.return?.();
  }
  call.end();
}

/** Resolves on 'drain', or as soon as the call has its answer (then nothing will drain). */
async function drained(call: NodeJS.EventEmitter, answered: AbortSignal): Promise<void> {
  if (answered.aborted) return;
  try {
    await once(call, 'drain', { signal: answered });
  } catch (err) {
    if (!answered.aborted) throw err;
  }
}
