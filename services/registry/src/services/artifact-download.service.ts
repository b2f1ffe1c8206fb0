import type { registryv1 } from '@aimass/contracts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import { toVersionMessage } from '../controllers/registry.mapping.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { RegistryService } from './registry.service.js';

const CHUNK = 4 * 1024 * 1024;

/** Streams a version's artifact, resumable from a byte offset; the first message carries the version. */
@Injectable()
export class ArtifactDownloadService {
  constructor(
    private readonly registry: RegistryService,
    private readonly artifacts: ArtifactRepository,
  ) {}

  async *download(model: string, selector: string, offset: number): AsyncGenerator<registryv1.DownloadVersionChunk> {
    const version = await this.registry.getVersion(model, selector);
    if (version.state === 'DELETED') throw new FailedPreconditionError(`version ${version.version} of "${version.model}" is DELETED; its artifact is gone`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > version.size_bytes) {
      throw new InvalidArgumentError(`offset ${offset} is outside the artifact (0..${version.size_bytes})`);
    }
    yield { version: toVersionMessage(version), chunk: Buffer.alloc(0) };
    if (offset === version.size_bytes) return;
    const stream = await this.artifacts.open(version.artifact_key, offset);
    // S3 hands out ~64 KiB pieces; they are batched into ~4 MiB messages with one copy each.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    try {
      for await (const data of stream) {
        pending.push(data as Buffer);
        pendingBytes += (data as Buffer).length;
        if (pendingBytes >= CHUNK) {
          yield { chunk: Buffer.concat(pending, pendingBytes) };
          pending = [];
          pendingBytes = 0;
        }
      }
    } catch (cause) {
      throw new UnavailableError(`object storage broke off while sending ${model} v${version.version}; resume from the last offset received`, { cause });
    }
    if (pendingBytes) yield { chunk: Buffer.concat(pending, pendingBytes) };
  }
}
