import {
  type AutoencoderExport,
  denseForward,
  exportAutoencoder,
  randomDenseNetwork,
  VAE_SCORE_SAMPLES,
  vaeScoreNoise,
} from '@aimass/onnx';
import { describe, expect, it } from 'vitest';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import {
  fitOutputVariance,
  OUTPUT_VARIANCE_FLOOR,
  OUTPUT_VARIANCE_MIN,
  scoreAutoencoder,
  thresholdOf,
} from './anomaly-scoring.js';

function vae(reconstructionLoss: 'mse' | 'bce'): AutoencoderExport {
  const net = (inputDim: number, hidden: number[], outputDim: number, seed: number, out = 'linear') =>
    randomDenseNetwork({
      inputDim,
      hidden,
      outputDim,
      seed,
      activation: 'tanh',
      outputActivation: out as 'linear' | 'sigmoid',
    }).layers;
  return {
    kind: 'vae',
    inputDim: 6,
    latentDim: 2,
    encoder: net(6, [], 5, 1),
    mean: net(5, [], 2, 2)[0]!,
    logVar: net(5, [], 2, 3)[0]!,
    decoder: net(2, [5], 6, 4, reconstructionLoss === 'bce' ? 'sigmoid' : 'linear'),
    reconstructionLoss,
  };
}

const rows = 40;
const x = Float32Array.from({ length: rows * 6 }, (_, i) => ((i * 37) % 100) / 100);
const run = (layers: AutoencoderExport['decoder'], input: Float32Array, n: number, width: number) =>
  denseForward(
    { inputName: 'x', outputName: 'y', inputDim: width, layers: [...layers], batch: 'dynamic' },
    input,
    n,
  );

describe('VAE score', () => {
  const variance = Float32Array.of(1, 2, 4, 0.5, 0.25, 8);
  it.each([
    ['mse', undefined],
    ['bce', undefined],
    ['mse', variance],
  ] as const)(
    '%s (output variance %s): is the negative ELBO with its reconstruction term averaged over the fixed draws',
    (loss, outputVariance) => {
      const m = { ...vae(loss), ...(outputVariance ? { outputVariance } : {}) };
      const { score, latent, logVar } = scoreAutoencoder(m, x, rows);
      const noise = vaeScoreNoise(2);
      expect(noise).toHaveLength(VAE_SCORE_SAMPLES * 2);
      expect(VAE_SCORE_SAMPLES).toBe(10);
      for (const r of [0, 7, 39]) {
        const row = x.subarray(r * 6, r * 6 + 6);
        let rec = 0;
        // One draw at a time, as an independent reference.
        for (let l = 0; l < VAE_SCORE_SAMPLES; l++) {
          const z = Float32Array.from(
            [0, 1],
            (j) => latent[r * 2 + j]! + Math.exp(0.5 * logVar![r * 2 + j]!) * noise[l * 2 + j]!,
          );
          const out = run(m.decoder, z, 1, 2);
          for (let f = 0; f < 6; f++) {
            const q = Math.min(Math.max(out[f]!, 1e-7), 1 - 1e-7);
            const squared = (row[f]! - out[f]!) ** 2;
            // With a variance, the Cauchy negative log-likelihood of scale σ, less a constant.
            rec +=
              loss === 'bce'
                ? -(row[f]! * Math.log(q) + (1 - row[f]!) * Math.log(1 - q))
                : outputVariance
                  ? Math.log(1 + squared / outputVariance[f]!)
                  : squared;
          }
        }
        let kl = 0;
        for (let j = 0; j < 2; j++) {
          const lv = logVar![r * 2 + j]!;
          kl += -0.5 * (1 + lv - latent[r * 2 + j]! ** 2 - Math.exp(lv));
        }
        expect(score[r]).toBeCloseTo(rec / VAE_SCORE_SAMPLES + kl, 4);
      }
    },
  );

  it('is deterministic: the same draws every time, so the graph is parity-checkable', () => {
    expect(vaeScoreNoise(3)).toEqual(vaeScoreNoise(3));
    expect(scoreAutoencoder(vae('mse'), x, rows).score).toEqual(scoreAutoencoder(vae('mse'), x, rows).score);
  });

  it.each(['mse', 'bce'] as const)(
    '%s: onnxruntime on the anomaly graph gives the same score and is_anomaly',
    async (loss) => {
      const plain = vae(loss);
      const expected = scoreAutoencoder(plain, x, rows).score;
      const threshold = thresholdOf(expected, 75);
      const served = await new OnnxRuntimeRepository().run(
        exportAutoencoder({ ...plain, threshold }).anomaly,
        'x',
        x,
        rows,
        6,
      );
      for (let r = 0; r < rows; r++) {
        expect(Math.abs(served.score![r]! - expected[r]!)).toBeLessThan(
          1e-4 * Math.max(1, Math.abs(expected[r]!)),
        );
        if (Math.abs(expected[r]! - threshold) > 1e-4)
          expect(served.is_anomaly![r]).toBe(expected[r]! > threshold ? 1 : 0);
      }
      expect(served.is_anomaly!.reduce((a, b) => a + b, 0)).toBe(10);
    },
  );
});

describe('output variance', () => {
  // The VAE's encoder and mean head as one deterministic encoder.
  const { mean, logVar: _logVar, ...rest } = vae('mse');
  const ae: AutoencoderExport = { ...rest, kind: 'ae', encoder: [...rest.encoder, mean!] };

  it('is each feature’s mean squared residual on the rows, floored against the mean over features', () => {
    const { reconstruction } = scoreAutoencoder(ae, x, rows);
    const raw = Array.from({ length: 6 }, (_, f) => {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += (x[r * 6 + f]! - reconstruction[r * 6 + f]!) ** 2;
      return sum / rows;
    });
    const floor = Math.max(OUTPUT_VARIANCE_MIN, (OUTPUT_VARIANCE_FLOOR * raw.reduce((a, b) => a + b)) / 6);
    const variance = fitOutputVariance(ae, x, rows);
    for (let f = 0; f < 6; f++) expect(variance[f]).toBeCloseTo(Math.max(raw[f]!, floor), 6);
    // A constant column the decoder reproduces exactly sits at the floor, not at zero.
    const constant = Float32Array.from(x, (v, i) => (i % 6 === 2 ? reconstruction[i]! : v));
    expect(fitOutputVariance(ae, constant, rows)[2]).toBeGreaterThanOrEqual(OUTPUT_VARIANCE_MIN);
  });

  it('is, for a VAE, the Cauchy scale² γ² that solves the likelihood equation mean(e² / (γ² + e²)) = 1/2', () => {
    const m = vae('mse');
    // One row far off on feature 0: a variance would grow with its square, the Cauchy scale barely.
    const outlier = Float32Array.from(x, (v, i) => (i === 0 ? v + 50 : v));
    const gamma = fitOutputVariance(m, outlier, rows);
    const draws = VAE_SCORE_SAMPLES;
    const noise = vaeScoreNoise(2);
    const { latent, logVar } = scoreAutoencoder(m, outlier, rows);
    const share = new Float64Array(6);
    const meanSquared = new Float64Array(6);
    for (let r = 0; r < rows; r++)
      for (let l = 0; l < draws; l++) {
        const z = Float32Array.from(
          [0, 1],
          (j) => latent[r * 2 + j]! + Math.exp(0.5 * logVar![r * 2 + j]!) * noise[l * 2 + j]!,
        );
        const out = run(m.decoder, z, 1, 2);
        for (let f = 0; f < 6; f++) {
          const squared = (outlier[r * 6 + f]! - out[f]!) ** 2;
          share[f]! += squared / (gamma[f]! + squared) / (rows * draws);
          meanSquared[f]! += squared / (rows * draws);
        }
      }
    for (let f = 0; f < 6; f++) expect(share[f]).toBeCloseTo(0.5, 2);
    expect(gamma[0]).toBeLessThan(meanSquared[0]! / 10);
  });

  it('weighs each squared error by 1 / σ² in an AE’s score; a bce VAE ignores the variance', () => {
    const variance = Float32Array.of(1, 2, 4, 0.5, 0.25, 8);
    const { reconstruction } = scoreAutoencoder(ae, x, rows);
    const weighted = scoreAutoencoder({ ...ae, outputVariance: variance }, x, rows).score;
    for (const r of [0, 13, 39]) {
      let sum = 0;
      for (let f = 0; f < 6; f++) sum += (x[r * 6 + f]! - reconstruction[r * 6 + f]!) ** 2 / variance[f]!;
      expect(weighted[r]).toBeCloseTo(sum / 6, 5);
    }
    expect(scoreAutoencoder({ ...vae('bce'), outputVariance: variance }, x, rows).score).toEqual(
      scoreAutoencoder(vae('bce'), x, rows).score,
    );
  });

  it.each(['ae', 'vae'] as const)(
    '%s: onnxruntime on the weighted anomaly graph gives the same score',
    async (kind) => {
      const m = kind === 'ae' ? ae : vae('mse');
      const model = { ...m, outputVariance: fitOutputVariance(m, x, rows) };
      const expected = scoreAutoencoder(model, x, rows).score;
      const served = await new OnnxRuntimeRepository().run(exportAutoencoder(model).anomaly, 'x', x, rows, 6);
      for (let r = 0; r < rows; r++)
        expect(Math.abs(served.score![r]! - expected[r]!)).toBeLessThan(
          1e-4 * Math.max(1, Math.abs(expected[r]!)),
        );
      expect(expected).not.toEqual(scoreAutoencoder(m, x, rows).score);
    },
  );
});

describe('thresholdOf', () => {
  it.each([
    [99, 99.01],
    [95, 95.05],
    [50, 50.5],
  ])('the %sth percentile of 1..100 is %s', (q, expected) => {
    const scores = Float64Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(thresholdOf(scores, q)).toBeCloseTo(expected, 10);
  });

  it('ignores NaN scores and leaves its input unsorted', () => {
    const scores = [3, Number.NaN, 1, 2];
    expect(thresholdOf(scores, 50)).toBe(2);
    expect(scores[0]).toBe(3);
  });
});
