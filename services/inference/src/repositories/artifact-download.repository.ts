import type { AimassConfig } from '@aimass/config';
import { AimassError, FailedPreconditionError } from '@aimass/errors';
import { abandonTarEntry, OnnxSignatureError, safeEntryName } from '@aimass/onnx';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { ObjectStore } from '@aimass/storage';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** Linux's statfs type of a tmpfs (memory-backed) file system. */
const TMPFS_MAGIC = 0x01021994;

/** A tar artifact unpacked into a private folder: what its bytes hash to, and its files. */
export interface UnpackedArtifact {
  readonly dir: string;
  /** Entry names (normalised, relative to `dir`) of the files written. */
  readonly files: readonly string[];
  readonly sha256: string;
  readonly bytes: number;
  /** Deletes the folder; a session opened from it keeps what it already read or mapped. */
  remove(): Promise<void>;
}

/** Downloads model artifacts from object storage (the registry uploads them) for loading. */
@Injectable()
export class ArtifactDownloadRepository {
  constructor(
    private readonly store: ObjectStore,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  fetch(key: string): Promise<Buffer> {
    return this.store.getBuffer(key);
  }

  /**
   * Streams a tar artifact (onnx-external) into a fresh private folder under the scratch folder,
   * entry by entry, holding one chunk at a time; the SHA-256 covers the artifact's bytes as stored
   * plaintext, for the caller to compare with the registry's. An encrypted artifact is unpacked
   * only onto a tmpfs, so its plaintext never touches disk. The folder is gone again on failure.
   */
  async unpack(key: string): Promise<UnpackedArtifact> {
    const scratch = this.config.inference.scratchDir || os.tmpdir();
    await fs.promises.mkdir(scratch, { recursive: true });
    if ((await this.store.isSealed(key)) && !(await onTmpfs(scratch)))
      throw new FailedPreconditionError(
        `the artifact is encrypted at rest and its shards must be unpacked for onnxruntime, but the scratch folder ${scratch} is on disk: set AIMASS_INFERENCE_SCRATCH_DIR to a tmpfs folder (e.g. /dev/shm) so the plaintext stays in memory`,
      );
    const dir = await fs.promises.mkdtemp(path.join(scratch, 'aimass-model-'));
    const remove = () => fs.promises.rm(dir, { recursive: true, force: true });
    try {
      return { dir, remove, ...(await this.extract(key, dir)) };
    } catch (err) {
      await remove();
      if (err instanceof AimassError) throw err;
      throw new FailedPreconditionError(
        `the artifact cannot be unpacked into ${scratch} (AIMASS_INFERENCE_SCRATCH_DIR): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private async extract(key: string, dir: string) {
    const hash = createHash('sha256');
    let bytes = 0;
    const files: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, entry, next) => {
      const write = async () => {
        const name = safeEntryName(header.name);
        if (header.type === 'directory') {
          entry.resume();
          return;
        }
        if (header.type !== 'file')
          throw new OnnxSignatureError(`the tar entry "${header.name}" is a ${header.type}, not a file`);
        const target = path.join(dir, name);
        await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        await pipeline(entry, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
        files.push(name);
      };
      write().then(
        () => next(),
        (err: unknown) => abandonTarEntry(extract, entry, err),
      );
    });
    const finished = new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      extract.on('close', () => reject(new Error('the tar stream closed early')));
    });
    finished.catch(() => undefined);
    const source = await this.store.getStream(key);
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
        if (!extract.write(chunk)) await Promise.race([once(extract, 'drain'), finished]);
      }
      extract.end(undefined);
      await finished;
    } catch (err) {
      source.destroy();
      extract.destroy();
      throw err;
    }
    return { files, sha256: hash.digest('hex'), bytes };
  }
}

async function onTmpfs(dir: string): Promise<boolean> {
  const stats = await fs.promises.statfs(dir).catch(() => undefined);
  return stats?.type === TMPFS_MAGIC;
}
