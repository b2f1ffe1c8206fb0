import { STREAM_CHUNK_BYTES } from '@aimass/contracts';
import { AimassError, FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { ObjectIntegrityError } from '@aimass/storage';
import { Injectable, Logger } from '@nestjs/common';
import type { VersionView } from '../records/records.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { RegistryEventsRepository } from '../repositories/registry-events.repository.js';
import { RegistryService } from './registry.service.js';

/** Bytes per download message (see STREAM_CHUNK_BYTES). */
export const DOWNLOAD_CHUNK_BYTES = STREAM_CHUNK_BYTES;

/** A download: the version first, then the artifact's bytes from the offset asked for. */
export type DownloadPart = { readonly version: VersionView } | { readonly chunk: Buffer };

/**
 * Streams a version's artifact, resumable from a byte offset. Chunk buffers are reused: a chunk
 * stays valid only until `window` further parts have been pulled, so the caller's writer must have
 * serialized it by then (writeAll does, with its WRITE_WINDOW).
 *
 * An artifact sealed at rest is decrypted on the way out: the caller is authorized to read the
 * version, so it gets the plaintext it pushed. Each frame is authenticated before any of its bytes
 * is sent; one that fails ends the stream with FAILED_PRECONDITION and an audit record.
 */
@Injectable()
export class ArtifactDownloadService {
  private readonly logger = new Logger(ArtifactDownloadService.name);

  constructor(
    private readonly registry: RegistryService,
    private readonly artifacts: ArtifactRepository,
    private readonly events: RegistryEventsRepository,
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
    try {
      yield* this.chunks(version, offset, window);
    } catch (err) {
      if (err instanceof ObjectIntegrityError) await this.auditIntegrityFailure(version, err);
      throw err;
    }
  }

  private async *chunks(version: VersionView, offset: number, window: number): AsyncGenerator<DownloadPart> {
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
      if (cause instanceof AimassError) throw cause;
      throw new UnavailableError(
        `object storage broke off while sending ${version.model} v${version.version}; resume from the last offset received`,
        { cause },
      );
    }
    if (filled) yield { chunk: message.subarray(0, filled) };
  }

  /** The refusal stands whether or not its audit record can be stored. */
  private async auditIntegrityFailure(version: VersionView, err: ObjectIntegrityError): Promise<void> {
    const where = { model: version.model, version: version.version, reason: err.reason };
    this.logger.error({ ...where, err: err.message }, 'artifact failed decryption; download refused');
    const resource = `models/${version.model}/versions/${version.version}`;
    await this.events
      .publish(
        this.events.audit('registry', 'artifact.integrity_failure', resource, {
          model: version.model,
          version: version.version,
          artifact_key: version.artifact_key,
          reason: err.reason,
          message: err.message,
        }),
      )
      .catch((auditErr: unknown) =>
        this.logger.error(
          { err: auditErr, ...where },
          'could not store the audit record of a decryption failure',
        ),
      );
  }
}
