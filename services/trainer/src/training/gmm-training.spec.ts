import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../datasets/builtin-datasets.js';
import { prepare } from '../datasets/preprocessing.js';
import { validateSpec } from '../dtos/job-spec.dto.js';
import { GmmFitError, trainGmm } from './gmm-training.js';

describe('trainGmm', () => {
  it('fits blobs, reports each EM iteration with a rising likelihood, scores anomalies and exports a graph', () => {
    const spec = validateSpec({
      family: 'gmm',
      dataset: { builtin: 'anomaly_blobs', rows: 600, features: 4 },
      epochs: 50,
      architecture: { components: 2, n_init: 2 },
      metrics: ['log_likelihood', 'bic', 'aic', 'auroc', 'auprc'],
    });
    const data = prepare(loadBuiltin('anomaly_blobs', 600, 4, 3), {
      scaling: 'none',
      validationSplit: 0.25,
      seed: 1,
    });
    const outcome = trainGmm(spec, data);
    expect(outcome.iterations.map((i) => i.epoch)).toEqual(
      Array.from({ length: outcome.final.epoch }, (_, i) => i + 1),
    );
    const losses = outcome.iterations.map((i) => i.losses.loss as number);
    for (let i = 1; i < losses.length; i++)
      expect(losses[i]).toBeLessThanOrEqual((losses[i - 1] as number) + 1e-9);
    expect(outcome.final.metrics.auroc).toBeGreaterThan(0.9);
    expect(outcome.final.metrics.bic).toBeGreaterThan(outcome.final.metrics.aic as number);
    expect(outcome.graphs.mixture.length).toBeGreaterThan(0);
  });

  it('fails, saying why, on data a mixture cannot fit', () => {
    const spec = validateSpec({
      family: 'gmm',
      dataset: { builtin: 'gaussian_blobs', rows: 20, features: 2 },
      epochs: 5,
      architecture: { components: 3 },
    });
    const constant = {
      rows: 20,
      features: 2,
      values: new Float32Array(40).fill(1),
      digest: 'x',
      description: 'constant',
    };
    expect(() => trainGmm(spec, prepare(constant, { scaling: 'none', validationSplit: 0, seed: 1 }))).toThrow(
      GmmFitError,
    );
  });

  it("takes scikit-learn's tol, reg_covar and init from the spec", () => {
    const data = prepare(loadBuiltin('anomaly_blobs', 600, 4, 3), {
      scaling: 'none',
      validationSplit: 0.25,
      seed: 1,
    });
    const fit = (architecture: Record<string, unknown>) =>
      trainGmm(
        validateSpec({
          family: 'gmm',
          dataset: { builtin: 'anomaly_blobs', rows: 600, features: 4 },
          epochs: 200,
          architecture: { components: 3, n_init: 1, ...architecture },
        }),
        data,
      );
    const loose = fit({ tol: 10 });
    const tight = fit({ tol: 1e-9 });
    expect(loose.final.epoch).toBeLessThan(tight.final.epoch);
    expect(fit({ init: 'k-means++' }).final.losses.loss).not.toBe(fit({ init: 'kmeans' }).final.losses.loss);
    // A column with one value everywhere: the default reg_covar keeps its variance positive, none does not.
    const withConstant = { ...data, train: data.train.map((v, i) => (i % 4 === 3 ? 5 : v)) };
    const spec = (regCovar: number) =>
      validateSpec({
        family: 'gmm',
        dataset: { builtin: 'anomaly_blobs', rows: 600, features: 4 },
        epochs: 20,
        architecture: { components: 2, n_init: 1, reg_covar: regCovar },
      });
    expect(() => trainGmm(spec(1e-6), withConstant)).not.toThrow();
    expect(() => trainGmm(spec(0), withConstant)).toThrow(GmmFitError);
  });
});
