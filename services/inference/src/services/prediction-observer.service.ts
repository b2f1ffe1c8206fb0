import { Injectable } from '@nestjs/common';
import type { NamedTensor, ServableVersion } from '../types.js';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import { DetectorScoringService } from './detector-scoring.service.js';
import { ModelStatisticsService } from './model-statistics.service.js';
import { PredictionSummaryService } from './prediction-summary.service.js';

/** What one successful prediction took, in µs, and the execution it was part of. */
export interface PredictionOutcome {
  readonly requestUs: number;
  readonly queueUs: number;
  readonly computeUs: number;
  /** Rows in the execution this request was part of. */
  readonly batchSize: number;
  /** True for exactly one request of each execution, so executions are counted once. */
  readonly leader: boolean;
  /** Rows of this request. */
  readonly rows: number;
}

/**
 * Where every prediction's outcome goes, once: Prometheus metrics, Triton's statistics and the
 * prediction summaries for the monitor. Each sink records with a few additions; none waits.
 */
@Injectable()
export class PredictionObserver {
  constructor(
    private readonly metrics: InferenceMetricsRepository,
    private readonly statistics: ModelStatisticsService,
    private readonly summaries: PredictionSummaryService,
    private readonly detectors: DetectorScoringService,
  ) {}

  /**
   * The inputs of a decoded request, before they go to a model instance (which may take them): the
   * drift sketches fold them, and the version's anomaly detector, if it names one, gets a sample.
   */
  received(served: ServableVersion, inputs: readonly NamedTensor[]): void {
    this.summaries.recordInputs(served.model, String(served.version), inputs);
    this.detectors.sample(served, inputs[0]);
  }

  succeeded(model: string, version: string, outcome: PredictionOutcome): void {
    this.metrics.recordSuccess(model, version, outcome);
    this.statistics.recordSuccess(model, version, outcome);
    this.summaries.record(
      model,
      version,
      outcome.requestUs / 1000,
      true,
      outcome.leader ? outcome.batchSize : undefined,
    );
  }

  /**
   * A failed prediction, by gRPC status name. `model` is empty when the request named no model
   * this process could resolve: only the metrics count it then, as statistics and summaries are
   * per served version.
   */
  failed(model: string, version: string, reason: string, requestUs: number): void {
    this.metrics.recordFailure(model, version, reason);
    if (!model) return;
    this.statistics.recordFailure(model, version, requestUs);
    this.summaries.record(model, version, requestUs / 1000, false);
  }
}
