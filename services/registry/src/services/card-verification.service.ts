import { parseInput } from '@aimass/contracts';
import type { AimassConfig } from '@aimass/config';
import { DatasetError } from '@aimass/datasets';
import { FailedPreconditionError, NotFoundError } from '@aimass/errors';
import {
  computeMetric,
  metricProblem,
  parseModelCard,
  renderModelCard,
  withinTolerance,
  type ModelCard,
  type RunOutputs,
} from '@aimass/model-card';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { VerifyModelCardSchema } from '../dtos/registry.dto.js';
import type { ModelRecord } from '../records/records.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import { DatasetService } from './dataset.service.js';
import { singleFeatureInput } from './model-input.js';
import { ModelCatalogService } from './model-catalog.service.js';
import { RegistryService } from './registry.service.js';

/** Rows per onnxruntime run, so a large dataset is scored in bounded memory. */
const ROWS_PER_RUN = 4096;

export interface VerifiedResult {
  readonly model_index: number;
  readonly result: number;
  readonly metric: number;
  readonly type: string;
  readonly dataset: string;
  readonly rows: number;
  readonly declared: number;
  readonly computed: number;
  readonly verified: boolean;
  readonly reason: string;
}

export interface CardVerification {
  readonly model: ModelRecord;
  readonly version: number;
  readonly results: readonly VerifiedResult[];
}

/**
 * VerifyModelCard: what Hugging Face Hub users ask for (results that someone re-ran, not numbers
 * typed into a README). Every result the card declares on a registered dataset is re-run on the
 * version in onnxruntime, over all the dataset's rows, and the card gets `verified`,
 * `verified_value` and `verified_at` on each metric. A result that cannot be re-run is marked
 * `verified: false` with the reason in the response.
 */
@Injectable()
export class CardVerificationService {
  private readonly logger = new Logger(CardVerificationService.name);

  constructor(
    private readonly registry: RegistryService,
    private readonly catalog: ModelCatalogService,
    private readonly datasets: DatasetService,
    private readonly artifacts: ArtifactRepository,
    private readonly runtime: OnnxRuntimeRepository,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  async verify(input: unknown, actor: string): Promise<CardVerification> {
    const request = parseInput(VerifyModelCardSchema, input, 'VerifyModelCard request');
    const model = await this.catalog.getModel(request.model);
    const card = parseModelCard(model.model_card, { allowVerified: true });
    const index = card.metadata['model-index'] ?? [];
    if (index.length === 0)
      throw new FailedPreconditionError(
        `the card of "${model.name}" declares no results to verify: add model-index results (a metric on a registered dataset) with UpdateModel`,
      );
    const version = await this.registry.getVersion(model.name, request.version);
    const where = `version ${version.version} of "${model.name}"`;
    if (version.format !== 'onnx')
      throw new FailedPreconditionError(`${where} is ${version.format}; results are re-run on ONNX versions`);
    const { name: inputName, features } = singleFeatureInput(version, where, 'results are re-run on');
    const outputs = version.signature.outputs.map((o) => o.name);
    const bytes = new Uint8Array(await this.artifacts.getBuffer(version.artifact_key));

    const results: VerifiedResult[] = [];
    const runs = new Map<string, { outputs: RunOutputs; labels?: Uint8Array; rows: number; label: string }>();
    const now = new Date().toISOString();
    const tolerance = this.config.registry.verifyTolerance;
    for (const [i, entry] of index.entries()) {
      for (const [j, result] of entry.results.entries()) {
        const [datasetName, datasetVersion] = result.dataset.name.split('@') as [string, string | undefined];
        for (const [k, metric] of result.metrics.entries()) {
          const base = { model_index: i, result: j, metric: k, type: metric.type, declared: metric.value };
          const problem = metricProblem(metric.type, outputs, result.dataset.label_column !== undefined);
          let run;
          try {
            if (problem) throw new FailedPreconditionError(problem);
            const key = `${result.dataset.name}\u0000${result.dataset.label_column ?? ''}`;
            run = runs.get(key);
            if (!run) {
              run = await this.score(
                bytes,
                inputName,
                features,
                datasetName,
                datasetVersion,
                result.dataset.label_column,
              );
              runs.set(key, run);
            }
          } catch (err) {
            if (!(err instanceof FailedPreconditionError || err instanceof NotFoundError)) throw err;
            results.push({
              ...base,
              dataset: result.dataset.name,
              rows: 0,
              computed: Number.NaN,
              verified: false,
              reason: err.message,
            });
            continue;
          }
          const computed = computeMetric(metric.type, run.outputs, run.labels);
          const verified = withinTolerance(metric.value, computed, tolerance);
          results.push({
            ...base,
            dataset: run.label,
            rows: run.rows,
            computed,
            verified,
            reason: verified
              ? ''
              : `re-run value ${computed} differs from the declared ${metric.value} by more than ${tolerance * 100} % (AIMASS_REGISTRY_VERIFY_TOLERANCE)`,
          });
        }
      }
    }
    const marked = markCard(card, results, now);
    const updated = await this.catalog.setVerifiedCard(
      model.name,
      model.model_card,
      renderModelCard(marked),
      actor,
      {
        version: version.version,
        verified: results.filter((r) => r.verified).length,
        results: results.length,
      },
    );
    this.logger.log(
      {
        model: model.name,
        version: version.version,
        verified: results.filter((r) => r.verified).length,
        results: results.length,
      },
      `verified the card of ${model.name} on version ${version.version}`,
    );
    return { model: updated, version: version.version, results };
  }

  /** Runs the model over every row of the dataset, ROWS_PER_RUN at a time; outputs concatenated. */
  private async score(
    bytes: Uint8Array,
    inputName: string,
    features: number,
    name: string,
    versionText: string | undefined,
    labelColumn: string | undefined,
  ) {
    const version = versionText === undefined ? 0 : Number(versionText);
    if (!Number.isInteger(version) || version < 0)
      throw new FailedPreconditionError(`dataset version "${versionText}" is not a version number`);
    let read;
    try {
      read = await this.datasets.read(name, version, labelColumn);
    } catch (err) {
      if (err instanceof DatasetError) throw new FailedPreconditionError(`dataset ${name}: ${err.message}`);
      throw err;
    }
    const { record, dataset } = read;
    const label = `${record.name}@${record.version}`;
    if (dataset.features !== features)
      throw new FailedPreconditionError(
        `${label} has ${dataset.features} feature columns but input "${inputName}" takes ${features}`,
      );
    const parts: Record<string, number[]> = {};
    for (let at = 0; at < dataset.rows; at += ROWS_PER_RUN) {
      const rows = Math.min(ROWS_PER_RUN, dataset.rows - at);
      const out = await this.runtime.run(
        bytes,
        inputName,
        dataset.values.subarray(at * features, (at + rows) * features),
        features,
      );
      for (const [output, value] of Object.entries(out)) {
        if (value.type === 'string') continue;
        const list = (parts[output] ??= []);
        const data = value.data as ArrayLike<number | bigint | boolean>;
        for (let i = 0; i < data.length; i++) list.push(Number(data[i]));
      }
    }
    const outputs: RunOutputs = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, { data: v }]));
    return { outputs, labels: dataset.labels, rows: dataset.rows, label };
  }
}

/** The card with each result's verification written into its metric. */
function markCard(card: ModelCard, results: readonly VerifiedResult[], at: string): ModelCard {
  const index = card.metadata['model-index']!.map((entry, i) => ({
    ...entry,
    results: entry.results.map((result, j) => ({
      ...result,
      metrics: result.metrics.map((metric, k) => {
        const r = results.find((x) => x.model_index === i && x.result === j && x.metric === k)!;
        return {
          type: metric.type,
          value: metric.value,
          ...(metric.name !== undefined ? { name: metric.name } : {}),
          verified: r.verified,
          ...(Number.isFinite(r.computed) ? { verified_value: Number(r.computed.toPrecision(8)) } : {}),
          verified_at: at,
        };
      }),
    })),
  }));
  return { metadata: { ...card.metadata, 'model-index': index }, body: card.body };
}
