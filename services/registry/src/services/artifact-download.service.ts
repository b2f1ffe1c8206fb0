import type { registryv1 } from '@aimass/contracts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import { toVersionMessage } from '../controllers/registry.mapping.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { RegistryService } from './registry.service.js';

const CHUNK = 1024 * 1024;

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
    let pending: Buffer = Buffer.alloc(0);
    try {
      for await (const data of stream) {
        pending = pending.length ? Buffer.concat([pending, data as Buffer]) : (data as Buffer);
        while (pending.length >= CHUNK) {
          yield { chunk: pending.subarray(0, CHUNK) };
          pending = pending.subarray(CHUNK);
        }
      }
    } catch (cause) {
      throw new UnavailableError(`object storage broke off while sending ${model} v${version.version}; resume from the last offset received`, { cause });
    }
    if (pending.length) yield { chunk: pending };
  }
}
