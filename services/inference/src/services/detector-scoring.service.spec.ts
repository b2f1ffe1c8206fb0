import type { AimassConfig } from '@aimass/config';
import { NotFoundError } from '@aimass/errors';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import type { LoadedVersion } from '../loading/loaded-version.js';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import type { InferenceRequest, ServableVersion } from '../types.js';
import { DetectorScoringService } from './detector-scoring.service.js';
import { ModelVersionStore } from './model-version-store.service.js';

const config = { inference: { detectorSampleRate: 1, detectorQueueRows: 1000 } } as AimassConfig;

const served = (tags: Record<string, string>, model_tags: Record<string, string> = {}): ServableVersion => ({
  model: 'fraud',
  version: 2,
  sha256: '0'.repeat(64),
  artifact_key: 'k',
  format: 'onnx',
  signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], outputs: [] },
  tags,
  model_tags,
});

const detectorVersion = (features: number, lineage = true): ServableVersion => ({
  model: 'fraud-gmm',
  version: 4,
  sha256: '0'.repeat(64),
  artifact_key: 'k',
  format: 'onnx',
  signature: {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, features] }],
    outputs: [
      { name: 'score', datatype: 'FP32', shape: [-1] },
      { name: 'is_anomaly', datatype: 'BOOL', shape: [-1] },
    ],
  },
  ...(lineage
    ? { lineage: { hyperparameters: { threshold_percentile: '95' }, metrics: { threshold: 6.5 } } }
    : {}),
});

/** A detector that flags rows whose first feature is above 10. */
function loaded(version: ServableVersion): LoadedVersion {
  return {
    version,
    policy: { maxBatchSize: 4 },
    scheduler: {
      enqueue: vi.fn(async (r: InferenceRequest) => {
        const x = r.inputs[0]!.data as Float32Array;
        const rows = r.inputs[0]!.shape[0]!;
        const flags = Uint8Array.from({ length: rows }, (_, i) => (x[i * 3]! > 10 ? 1 : 0));
        return { outputs: [{ name: 'is_anomaly', datatype: 'BOOL', shape: [rows], data: flags }] };
      }),
    },
  } as unknown as LoadedVersion;
}

function setup(acquire: (model: string, selector: string) => Promise<LoadedVersion>) {
  const metrics = {
    recordDetectorScored: vi.fn(),
    recordDetectorRefused: vi.fn(),
    recordDetectorDropped: vi.fn(),
  };
  const store = { ready: vi.fn(() => undefined), acquire: vi.fn(acquire) };
  const service = new DetectorScoringService(
    strictMock<ModelVersionStore>(store, 'ModelVersionStore'),
    strictMock<InferenceMetricsRepository>(metrics, 'InferenceMetricsRepository'),
    config,
  );
  return { service, store, metrics };
}

const rows = (values: number[]) => ({
  name: 'x',
  datatype: 'FP32' as const,
  shape: [values.length, 3],
  data: Float32Array.from(values.flatMap((v) => [v, 0, 0])),
});

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('DetectorScoringService', () => {
  it('scores the sampled rows with the tagged detector, in requests it accepts, and counts them once', async () => {
    const { service, store, metrics } = setup(async () => loaded(detectorVersion(3)));
    service.sample(served({ 'monitor.detector': 'fraud-gmm@production' }), rows([1, 20, 2, 30, 40, 3]));
    await settle();
    expect(store.acquire).toHaveBeenCalledWith('fraud-gmm', 'production');
    expect(service.take()).toEqual([
      {
        model: 'fraud',
        version: '2',
        counts: { detector: 'fraud-gmm@4', threshold: 6.5, expected_rate: 1 - 0.95, scored: 6, anomalous: 3 },
      },
    ]);
    expect(service.take()).toEqual([]);
    expect(metrics.recordDetectorScored).toHaveBeenCalledWith('fraud', '2', 'fraud-gmm@4', 6);
  });

  it("the version's own tag wins over its model's", async () => {
    const { service, store } = setup(async () => loaded(detectorVersion(3)));
    service.sample(served({ 'monitor.detector': 'a@1' }, { 'monitor.detector': 'b@1' }), rows([1]));
    await settle();
    expect(store.acquire).toHaveBeenCalledWith('a', '1');
  });

  it('a version without the tag is not sampled', async () => {
    const { service, store } = setup(async () => loaded(detectorVersion(3)));
    service.sample(served({}), rows([1, 2]));
    await settle();
    expect(store.acquire).not.toHaveBeenCalled();
    expect(service.take()).toEqual([]);
  });

  it.each([
    [
      'a malformed tag',
      'fraud-gmm',
      async () => loaded(detectorVersion(3)),
      /expected <model>@<version or alias>/,
    ],
    ['no selector', 'fraud-gmm@', async () => loaded(detectorVersion(3)), /expected <model>@/],
    [
      'an unknown model',
      'ghost@1',
      async () => Promise.reject(new NotFoundError('model "ghost" does not exist')),
      /ghost/,
    ],
    [
      'a detector of another width',
      'fraud-gmm@4',
      async () => loaded(detectorVersion(5)),
      /takes 5 features/,
    ],
    [
      'a model without a threshold',
      'fraud-gmm@4',
      async () => loaded(detectorVersion(3, false)),
      /no anomaly threshold/,
    ],
  ])(
    '%s (%s) is refused with a logged reason, counted, and not retried at once',
    async (_, tag, acquire, reason) => {
      const { service, store, metrics } = setup(acquire);
      const warn = vi.spyOn((service as unknown as { logger: { warn: () => void } }).logger, 'warn');
      warn.mockImplementation(() => undefined);
      service.sample(served({ 'monitor.detector': tag }), rows([1, 2]));
      await settle();
      expect(service.take()).toEqual([]);
      expect(metrics.recordDetectorRefused).toHaveBeenCalledWith('fraud', '2', 2);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(JSON.stringify(warn.mock.calls[0])).toMatch(reason);
      const calls = store.acquire.mock.calls.length;
      service.sample(served({ 'monitor.detector': tag }), rows([1, 2]));
      await settle();
      expect(store.acquire.mock.calls.length).toBe(calls);
    },
  );
});
