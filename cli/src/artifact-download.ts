import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import type { registryv1 } from '@aimass/contracts';
import { CliError, InputFileError } from './errors.js';

export interface DownloadArtifactRequest {
  readonly model: string;
  /** A version number, an alias, or '' (the production alias, else the latest). */
  readonly version: string;
  readonly file: string;
  /** Continue a partial FILE from its current size instead of starting over. */
  readonly resume: boolean;
  /** Called once the version is known: total bytes and the bytes already on disk. */
  readonly onStart?: (totalBytes: number, offset: number) => void;
  readonly onProgress?: (doneBytes: number) => void;
}

export interface DownloadedArtifact {
  readonly version: registryv1.ModelVersion__Output;
  /** Bytes received in this run (the rest was already on disk). */
  readonly received: number;
}

/** The file ends with a digest other than the registry's; it is kept for inspection. */
export class DigestMismatchError extends CliError {
  override name = 'DigestMismatchError';
}

/**
 * Streams a version's artifact from RegistryService.DownloadVersion into `file`. With `resume`,
 * asks for the bytes after those already in the file and appends them. Writes wait on the file's
 * 'drain', and the gRPC stream is paused meanwhile, so memory stays bounded. At the end the whole
 * file's SHA-256 is checked against the version's digest.
 */
export async function downloadArtifact(
  client: registryv1.RegistryServiceClient,
  request: DownloadArtifactRequest,
): Promise<DownloadedArtifact> {
  const offset = request.resume ? await existingSize(request.file) : 0;
  const hash = createHash('sha256');
  if (offset > 0) for await (const piece of fs.createReadStream(request.file)) hash.update(piece as Buffer);

  const call = client.DownloadVersion({
    model: request.model,
    version: request.version,
    offset: String(offset),
  });
  let out: fs.WriteStream | undefined;
  let version: registryv1.ModelVersion__Output | undefined;
  let received = 0;
  try {
    for await (const message of call as AsyncIterable<registryv1.DownloadVersionChunk__Output>) {
      if (message.version) {
        version = message.version;
        const total = Number(version.size_bytes);
        if (offset > total)
          throw new InputFileError(
            `${request.file} has ${offset} bytes, more than version ${version.version} (${total} bytes); it is not a partial download of it`,
          );
        request.onStart?.(total, offset);
        out = fs.createWriteStream(request.file, { flags: offset > 0 ? 'r+' : 'w', start: offset });
        await once(out, 'open');
      }
      if (message.chunk.length === 0) continue;
      if (!out)
        throw new CliError('the registry sent artifact bytes before the version; is it an aimass registry?');
      hash.update(message.chunk);
      received += message.chunk.length;
      request.onProgress?.(offset + received);
      if (!out.write(message.chunk)) await once(out, 'drain');
    }
  } finally {
    if (out) {
      out.end();
      await once(out, 'close');
    }
    call.cancel();
  }
  if (!version) throw new CliError('the download ended before the registry named the version');
  const digest = hash.digest('hex');
  if (offset + received !== Number(version.size_bytes) || digest !== version.sha256) {
    throw new DigestMismatchError(
      `${request.file} does not match version ${version.version} of ${version.model}: ${offset + received} of ${version.size_bytes} bytes, sha256 ${digest} instead of ${version.sha256}` +
        (offset > 0
          ? '; the part that was already there may be from another file, so download again without --resume'
          : ''),
    );
  }
  return { version, received };
}

async function existingSize(file: string): Promise<number> {
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile())
      throw new InputFileError(`${file} is not a regular file; --resume continues a partial download`);
    return stat.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}
