import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import { DetectorScoringService } from './detector-scoring.service.js';
import { ModelStatisticsService } from './model-statistics.service.js';
import { PredictionObserver } from './prediction-observer.service.js';
import { PredictionSummaryService } from './prediction-summary.service.js';

function setup(mocks: {
  metrics?: Partial<InferenceMetricsRepository>;
  statistics?: Partial<ModelStatisticsService>;
  summaries?: Partial<PredictionSummaryService>;
  detectors?: Partial<DetectorScoringService>;
}) {
  return new PredictionObserver(
    strictMock<InferenceMetricsRepository>(mocks.metrics ?? {}, 'InferenceMetricsRepository'),
    strictMock<ModelStatisticsService>(mocks.statistics ?? {}, 'ModelStatisticsService'),
    strictMock<PredictionSummaryService>(mocks.summaries ?? {}, 'PredictionSummaryService'),
    strictMock<DetectorScoringService>(mocks.detectors ?? {}, 'DetectorScoringService'),
  );
}

const outcome = { requestUs: 1500, queueUs: 100, computeUs: 900, batchSize: 4, leader: true, rows: 1 };

describe('PredictionObserver', () => {
  it('records a success in the metrics, the statistics and the summaries (in ms)', () => {
    const recordSuccess = vi.fn();
    const statisticsSuccess = vi.fn();
    const record = vi.fn();
    setup({
      metrics: { recordSuccess },
      statistics: { recordSuccess: statisticsSuccess },
      summaries: { record },
    }).succeeded('m', '2', outcome);
    expect(recordSuccess).toHaveBeenCalledWith('m', '2', outcome);
    expect(statisticsSuccess).toHaveBeenCalledWith('m', '2', outcome);
    expect(record).toHaveBeenCalledWith('m', '2', 1.5, true, 4);
  });

  it("gives the summaries an execution's rows once, with its leader", () => {
    const record = vi.fn();
    setup({
      metrics: { recordSuccess: vi.fn() },
      statistics: { recordSuccess: vi.fn() },
      summaries: { record },
    }).succeeded('m', '2', { ...outcome, leader: false });
    expect(record).toHaveBeenCalledWith('m', '2', 1.5, true, undefined);
  });

  it('records a failure of a resolved version everywhere', () => {
    const recordFailure = vi.fn();
    const statisticsFailure = vi.fn();
    const record = vi.fn();
    setup({
      metrics: { recordFailure },
      statistics: { recordFailure: statisticsFailure },
      summaries: { record },
    }).failed('m', '2', 'INVALID_ARGUMENT', 250);
    expect(recordFailure).toHaveBeenCalledWith('m', '2', 'INVALID_ARGUMENT');
    expect(statisticsFailure).toHaveBeenCalledWith('m', '2', 250);
    expect(record).toHaveBeenCalledWith('m', '2', 0.25, false);
  });

  it('counts a request that named no servable version only in the metrics', () => {
    const recordFailure = vi.fn();
    setup({ metrics: { recordFailure } }).failed('', '', 'NOT_FOUND', 80);
    expect(recordFailure).toHaveBeenCalledWith('', '', 'NOT_FOUND');
  });

  it('hands received inputs to the drift sketches and the first one to the anomaly detector sampler', () => {
    const recordInputs = vi.fn();
    const sample = vi.fn();
    const served = {
      model: 'm',
      version: 2,
      sha256: '0'.repeat(64),
      artifact_key: 'k',
      format: 'onnx',
      signature: { inputs: [], outputs: [] },
    };
    const input = { name: 'input', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array(2) };
    setup({ summaries: { recordInputs }, detectors: { sample } }).received(served, [input]);
    expect(recordInputs).toHaveBeenCalledWith('m', '2', [input]);
    expect(sample).toHaveBeenCalledWith(served, input);
  });
});
