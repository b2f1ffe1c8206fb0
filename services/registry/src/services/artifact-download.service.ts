import { STREAM_CHUNK_BYTES } from '@aimass/contracts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import type { VersionView } from '../records/records.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { RegistryService } from './registry.service.js';

/** Bytes per download message (see STREAM_CHUNK_BYTES). */
export const DOWNLOAD_CHUNK_BYTES = STREAM_CHUNK_BYTES;

/** A download: the version first, then the artifact's bytes from the offset asked for. */
export type DownloadPart = { readonly version: VersionView } | { readonly chunk: Buffer };

/**
 * Streams a version's artifact, resumable from a byte offset. Chunk buffers are reused: a chunk
 * stays valid only until `window` further parts have been pulled, so the caller's writer must have
 * serialized it by then (writeAll does, with its WRITE_WINDOW).
 */
@Injectable()
export class ArtifactDownloadService {
  constructor(
    private readonly registry: RegistryService,
    private readonly artifacts: ArtifactRepository,
  ) {}

  async *download(
    model: string,
    selector: string,
    offset: number,
    window: number,
  ): AsyncGenerator<DownloadPart> {
    const version = await this.registry.getVersion(model, selector);
    if (version.state === 'DELETED')
      throw new FailedPreconditionError(
        `version ${version.version} of "${version.model}" is DELETED; its artifact is gone`,
      );
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > version.size_bytes) {
      throw new InvalidArgumentError(`offset ${offset} is outside the artifact (0..${version.size_bytes})`);
    }
    yield { version };
    if (offset === version.size_bytes) return;
    const stream = await this.artifacts.open(version.artifact_key, offset);
    // S3 hands out ~64 KiB pieces; each is copied once into the message being filled, which goes
    // out when full (exactly DOWNLOAD_CHUNK_BYTES; the last one shorter). The message buffers come
    // round from a ring one longer than the write window, so no 4 MiB buffer is allocated per message.
    const ring: Buffer[] = [];
    let turn = 0;
    const nextBuffer = () => {
      const slot = turn++ % (window + 1);
      return (ring[slot] ??= Buffer.allocUnsafe(Math.min(DOWNLOAD_CHUNK_BYTES, version.size_bytes - offset)));
    };
    let message = nextBuffer();
    let filled = 0;
    try {
      for await (const data of stream) {
        const piece = data as Buffer;
        for (let at = 0; at < piece.length;) {
          const n = piece.copy(message, filled, at, Math.min(piece.length, at + message.length - filled));
          filled += n;
          at += n;
          if (filled === message.length) {
            yield { chunk: message };
            message = nextBuffer();
            filled = 0;
          }
        }
      }
    } catch (cause) {
      throw new UnavailableError(
        `object storage broke off while sending ${model} v${version.version}; resume from the last offset received`,
        { cause },
      );
    }
    if (filled) yield { chunk: message.subarray(0, filled) };
  }
}
