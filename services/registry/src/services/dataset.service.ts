import { parseInput } from '@aimass/contracts';
import {
  columnStatistics,
  columnSummaries,
  type ColumnSummary,
  type Dataset,
  DatasetError,
  readDataset,
} from '@aimass/datasets';
import type { AimassConfig } from '@aimass/config';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DatasetRecord } from '../records/records.js';
import { modelNameSchema, pushDatasetHeaderSchema, type PushDatasetHeader } from '../dtos/registry.dto.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { MAX_CAS_ATTEMPTS, ModelCatalogService } from './model-catalog.service.js';
import { PushStream, type PushPart } from './push-stream.js';

/** A dataset version as callers see it; `columns` only where the statistics were read. */
export type DatasetView = DatasetRecord & { readonly columns: readonly ColumnSummary[] };

/**
 * Datasets as versioned objects. A push is parsed in full before anything is stored, so a file the
 * trainer could not read (ragged rows, text in a numeric column, no rows) is refused at the door,
 * naming the row and column; the KV `create` of `datasets.<name>.<n>` is the commit point that
 * numbers the version, after the file and its column statistics are in S3.
 */
@Injectable()
export class DatasetService {
  private readonly logger = new Logger(DatasetService.name);

  constructor(
    private readonly metadata: ModelMetadataRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly catalog: ModelCatalogService,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  async push(
    messages: AsyncIterable<PushPart>,
    actor: string,
    isCancelled: () => boolean = () => false,
    mayWrite: (name: string) => void = () => undefined,
  ): Promise<DatasetView> {
    const stream = new PushStream(messages, 'PushDataset', 'dataset file', (bytes) => this.tooLarge(bytes));
    const header = parseInput(
      pushDatasetHeaderSchema(this.catalog.nameRules),
      await stream.header('name, format'),
      'header',
    );
    mayWrite(header.name);
    if (header.size_bytes > this.config.maxDatasetBytes) throw this.tooLarge(header.size_bytes);
    const chunks: Buffer[] = [];
    const size = await stream.chunks(this.config.maxDatasetBytes, (bytes) => {
      chunks.push(bytes);
    });
    stream.checkComplete(isCancelled(), header.size_bytes);
    return this.store(header, Buffer.concat(chunks, size), actor);
  }

  /** Version 0 is the latest. */
  async get(nameInput: string, version: number): Promise<DatasetView> {
    const name = this.datasetName(nameInput);
    const record = version
      ? await this.metadata.getDataset(name, version)
      : ((await this.metadata.listDatasets(name)).at(-1) ?? null);
    if (!record)
      throw new NotFoundError(
        version
          ? `dataset "${name}" has no version ${version}`
          : `no dataset is named "${name}"; push one with data push`,
      );
    const columns = await this.artifacts.getJson<ColumnSummary[]>(record.statistics_key);
    return { ...record, columns };
  }

  /** A stored dataset version parsed back into rows (version 0: the latest). */
  /** The stored rows; `labelColumn` takes that column out as 0/1 labels. */
  async read(
    nameInput: string,
    version: number,
    labelColumn?: string,
  ): Promise<{ record: DatasetView; dataset: Dataset }> {
    const record = await this.get(nameInput, version);
    const bytes = await this.artifacts.getBuffer(record.object_key);
    const dataset = await readDataset(bytes, {
      format: record.format as PushDatasetHeader['format'],
      header: record.has_header,
      description: record.description,
      ...(labelColumn !== undefined ? { labelColumn } : {}),
    });
    return { record, dataset };
  }

  /** Every version of `name`, oldest first; without a name, the latest version of every dataset. */
  async list(nameInput: string): Promise<DatasetView[]> {
    const name = nameInput ? this.datasetName(nameInput) : '';
    const records = await this.metadata.listDatasets(name);
    const shown = name ? records : [...new Map(records.map((r) => [r.name, r])).values()];
    return shown.map((r) => ({ ...r, columns: [] }));
  }

  /** Parses the whole file (which also hashes it), checks the announced SHA-256, then stores and numbers it. */
  private async store(header: PushDatasetHeader, bytes: Buffer, actor: string) {
    let dataset;
    try {
      dataset = await readDataset(bytes, {
        format: header.format,
        header: !header.no_header,
        description: header.description,
      });
    } catch (err) {
      if (err instanceof DatasetError)
        throw new InvalidArgumentError(`the ${header.format} file cannot be a dataset: ${err.message}`, {
          cause: err,
        });
      throw err;
    }
    const sha256 = dataset.digest;
    if (header.sha256 && header.sha256 !== sha256)
      throw new InvalidArgumentError(
        `SHA-256 mismatch: the client announced ${header.sha256} but the bytes hash to ${sha256}; nothing was stored`,
      );
    const names = dataset.columns ?? Array.from({ length: dataset.features }, (_, c) => `c${c + 1}`);
    const columns = columnSummaries(columnStatistics(dataset.values, dataset.rows, dataset.features), names);
    const uploadId = randomUUID();
    const objectKey = this.artifacts.datasetKeyFor(header.name, uploadId);
    const statisticsKey = `${objectKey}.statistics.json`;
    await this.artifacts.putBuffer(objectKey, bytes);
    await this.artifacts.putJson(statisticsKey, columns);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const latest = (await this.metadata.listDatasets(header.name)).at(-1)?.version ?? 0;
      const record: DatasetRecord = {
        name: header.name,
        version: latest + 1,
        format: header.format,
        size_bytes: bytes.length,
        sha256,
        object_key: objectKey,
        statistics_key: statisticsKey,
        rows: dataset.rows,
        column_names: names,
        has_header: dataset.columns !== undefined,
        description: header.description,
        created_at: new Date().toISOString(),
        actor,
      };
      if (await this.metadata.createDataset(record)) {
        this.logger.log(
          { dataset: record.name, version: record.version, rows: record.rows, sha256 },
          `dataset ${record.name} version ${record.version} stored (${record.rows} rows × ${names.length} columns)`,
        );
        return { ...record, columns };
      }
    }
    throw new FailedPreconditionError(
      `dataset "${header.name}" kept changing under ${MAX_CAS_ATTEMPTS} attempts to number this push; retry it`,
    );
  }

  private datasetName(input: string): string {
    return parseInput(modelNameSchema(this.catalog.nameRules), input, 'dataset name');
  }

  private tooLarge(bytes: number): ResourceExhaustedError {
    return new ResourceExhaustedError(
      `dataset of ${bytes} bytes exceeds the registry limit of ${this.config.maxDatasetBytes} bytes (AIMASS_MAX_DATASET_BYTES)`,
    );
  }
}
