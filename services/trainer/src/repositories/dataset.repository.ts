import { NotFoundError } from '@aimass/errors';
import { ObjectStore } from '@aimass/storage';
import { Injectable } from '@nestjs/common';
import { loadBuiltin } from '../datasets/builtin-datasets.js';
import { type Dataset, DatasetError } from '../datasets/dataset.js';
import { parseDataset } from '../datasets/dataset-parsers.js';
import type { DatasetSpec } from '../dtos/job-spec.dto.js';

/** Reads a job's dataset: a built-in one, or an object in the artifact bucket. */
@Injectable()
export class DatasetRepository {
  constructor(private readonly store: ObjectStore) {}

  async load(spec: DatasetSpec): Promise<Dataset> {
    if ('builtin' in spec) return loadBuiltin(spec.builtin, spec.rows, spec.features, spec.seed);
    let bytes: Buffer;
    try {
      bytes = await this.store.getBuffer(spec.s3_key);
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new DatasetError(
          `dataset object "${spec.s3_key}" does not exist in bucket ${this.store.bucket}`,
        );
      throw err;
    }
    return parseDataset(bytes, {
      format: spec.format,
      labelColumn: spec.label_column,
      header: spec.header,
      description: `s3://${this.store.bucket}/${spec.s3_key}`,
    });
  }
}
