import { NotFoundError } from '@aimass/errors';
import { ObjectStore, type ReadOptions } from '@aimass/storage';
import { Injectable } from '@nestjs/common';
import { loadBuiltin } from '../datasets/builtin-datasets.js';
import { type Dataset, type DatasetFormat, DatasetError, readDataset } from '@aimass/datasets';
import type { DatasetSpec } from '../dtos/job-spec.dto.js';
import { ModelRegistryRepository } from './model-registry.repository.js';

/** Reads a job's dataset: a registered one, a built-in one, or an object in the artifact bucket. */
@Injectable()
export class DatasetRepository {
  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ModelRegistryRepository,
  ) {}

  async load(spec: DatasetSpec): Promise<Dataset> {
    if ('builtin' in spec) return loadBuiltin(spec.builtin, spec.rows, spec.features, spec.seed);
    if ('name' in spec) {
      const registered = await this.registry.getDataset(spec.name, spec.version);
      const dataset = await readDataset(await this.read(registered.object_key), {
        format: registered.format as DatasetFormat,
        labelColumn: spec.label_column,
        header: registered.has_header,
        description: `${registered.name}@${registered.version}`,
      });
      if (dataset.digest !== registered.sha256)
        throw new DatasetError(
          `dataset ${registered.name} version ${registered.version} no longer matches its SHA-256 ${registered.sha256}; its object was changed after the push`,
        );
      return dataset;
    }
    // An object someone put in the bucket: it may be plaintext where the mesh seals what it writes.
    return readDataset(await this.read(spec.s3_key, { acceptUnsealed: true }), {
      format: spec.format,
      labelColumn: spec.label_column,
      header: spec.header,
      description: `s3://${this.store.bucket}/${spec.s3_key}`,
    });
  }

  /** The version `name` means now: the one named, or the latest. NotFoundError when there is none. */
  async resolveVersion(name: string, version?: number): Promise<number> {
    return (await this.registry.getDataset(name, version ?? 0)).version;
  }

  private async read(key: string, options?: ReadOptions): Promise<Buffer> {
    try {
      return await this.store.getBuffer(key, options);
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new DatasetError(`dataset object "${key}" does not exist in bucket ${this.store.bucket}`);
      throw err;
    }
  }
}
