import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxSignature } from '@aimass/onnx';
import { GMM_TENSORS, exportGmm, fitGmm, predictProba, scoreSamples } from './index.js';
import type { GmmModel } from './gmm-model.js';
import { syntheticMixture } from './synthetic-mixture.js';

// Data far from the origin, so the graph's centring is exercised, with correlated clusters.
const MEANS = [
  [100, -50, 20, 5, 0],
  [106, -50, 24, 5, 3],
  [100, -43, 20, 9, 0],
];

async function runGraph(
  bytes: Uint8Array,
  input: Float32Array,
  rows: number,
  dims: number,
): Promise<{ ll: Tensor; resp: Tensor }> {
  const session = await InferenceSession.create(bytes);
  try {
    const out = await session.run({ [GMM_TENSORS.input]: new Tensor('float32', input, [rows, dims]) });
    return { ll: out[GMM_TENSORS.logLikelihood]!, resp: out[GMM_TENSORS.responsibilities]! };
  } finally {
    await session.release();
  }
}

describe('exportGmm', () => {
  describe.each(['full', 'tied', 'diag', 'spherical'] as const)('%s covariance', (covariance) => {
    const sample = syntheticMixture(2000, MEANS, { seed: 5, spread: 1.5 });
    const model: GmmModel = fitGmm(sample.data, sample.rows, 5, { components: 3, covariance, seed: 2 });

    it('gives the same log-likelihoods and responsibilities in onnxruntime as scoreSamples and predictProba', async () => {
      const rows = 300;
      const input = Float32Array.from(sample.data.subarray(0, rows * 5));
      // An outlier far from every component: its log-likelihood is large and negative, not -Infinity.
      input.set([140, -10, 60, 40, 40], (rows - 1) * 5);
      const reference = Float64Array.from(input);
      const expectedLl = scoreSamples(model, reference, rows);
      const expectedResp = predictProba(model, reference, rows);
      const { ll, resp } = await runGraph(exportGmm(model), input, rows, 5);
      expect(ll.dims).toEqual([rows]);
      expect(resp.dims).toEqual([rows, 3]);
      const gotLl = ll.data as Float32Array;
      const gotResp = resp.data as Float32Array;
      expect(expectedLl[rows - 1]).toBeLessThan(-500);
      for (let n = 0; n < rows; n++) {
        expect(Math.abs(gotLl[n]! - expectedLl[n]!)).toBeLessThan(
          1e-4 * Math.max(1, Math.abs(expectedLl[n]!)),
        );
        for (let k = 0; k < 3; k++)
          expect(Math.abs(gotResp[n * 3 + k]! - expectedResp[n * 3 + k]!)).toBeLessThan(1e-4);
      }
      // Responsibilities that are all equal would pass a loose comparison; these clusters are distinct.
      const hard = new Set(
        Array.from({ length: rows }, (_, n) =>
          [0, 1, 2].reduce((b, k) => (gotResp[n * 3 + k]! > gotResp[n * 3 + b]! ? k : b), 0),
        ),
      );
      expect(hard.size).toBe(3);
    });

    it('declares input [batch, D] and outputs [batch] and [batch, K]', () => {
      const sig = readOnnxSignature(exportGmm(model));
      expect(sig.opset).toBe(13);
      expect(sig.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 5] }]);
      expect(sig.outputs).toEqual([
        { name: 'log_likelihood', datatype: 'FP32', shape: [-1] },
        { name: 'responsibilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'score', datatype: 'FP32', shape: [-1] },
      ]);
    });

    it('with a threshold, outputs score = −log p(x) and is_anomaly = score > threshold (BOOL)', async () => {
      const rows = 200;
      const input = Float32Array.from(sample.data.subarray(0, rows * 5));
      const scores = Array.from(scoreSamples(model, Float64Array.from(input), rows), (ll) => -ll);
      const threshold = [...scores].sort((a, b) => a - b)[150]!;
      const bytes = exportGmm(model, { threshold });
      expect(readOnnxSignature(bytes).outputs.at(-1)).toEqual({
        name: 'is_anomaly',
        datatype: 'BOOL',
        shape: [-1],
      });
      const session = await InferenceSession.create(bytes);
      try {
        const out = await session.run({ [GMM_TENSORS.input]: new Tensor('float32', input, [rows, 5]) });
        const score = out[GMM_TENSORS.score]!.data as Float32Array;
        const flag = out[GMM_TENSORS.isAnomaly]!;
        expect(flag.type).toBe('bool');
        const flags = Array.from(flag.data as Uint8Array, (v) => v !== 0);
        for (let n = 0; n < rows; n++) {
          expect(Math.abs(score[n]! - scores[n]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(scores[n]!)));
          if (Math.abs(scores[n]! - threshold) > 1e-3) expect(flags[n]).toBe(scores[n]! > threshold);
        }
        // Some rows on each side: the flag is not constant.
        expect(flags.filter(Boolean).length).toBeGreaterThan(30);
        expect(flags.filter((f) => !f).length).toBeGreaterThan(100);
      } finally {
        await session.release();
      }
    });
  });

  // Image-like data: a column constant everywhere, and one nearly constant within each component but
  // different between them, as a pixel blank in one digit and inked in another. With the default
  // regCovar (1e-6) their precisions reach 1e6; an expanded quadratic a·x² + b·x + c then cancels in
  // float32 (on 8×8 digits the served log-likelihood was off by thousands). Centring on each
  // component's mean before scaling keeps it exact.
  it.each(['full', 'tied', 'diag', 'spherical'] as const)(
    '%s: stays within float32 rounding of float64 scoring on near-constant columns',
    async (covariance) => {
      const sample = syntheticMixture(1500, MEANS, { seed: 9, spread: 1.5 });
      const dims = 7;
      const rows = sample.rows;
      const data = new Float64Array(rows * dims);
      let noise = 12345;
      const tiny = () => ((noise = (noise * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2e-4;
      for (let n = 0; n < rows; n++) {
        data.set(sample.data.subarray(n * 5, n * 5 + 5), n * dims);
        data[n * dims + 5] = 3.7;
        data[n * dims + 6] = 8 * (sample.labels[n] as number) + tiny();
      }
      const model = fitGmm(data, rows, dims, { components: 3, covariance, seed: 2 });
      const input = Float32Array.from(data.subarray(0, 400 * dims));
      const expected = scoreSamples(model, Float64Array.from(input), 400);
      const { ll } = await runGraph(exportGmm(model), input, 400, dims);
      const got = ll.data as Float32Array;
      let worst = 0;
      for (let n = 0; n < 400; n++)
        worst = Math.max(worst, Math.abs(got[n]! - expected[n]!) / Math.max(1, Math.abs(expected[n]!)));
      expect(worst).toBeLessThan(1e-4);
    },
  );

  it('refuses a model whose arrays do not match its sizes', () => {
    const sample = syntheticMixture(200, MEANS, { seed: 1 });
    const model = fitGmm(sample.data, 200, 5, { components: 2 });
    expect(() => exportGmm({ ...model, means: new Float64Array(3) })).toThrow(
      /means must be a Float64Array of 10 values/,
    );
  });

  it.each(['full', 'diag'] as const)(
    'refuses, as scoring does, a %s model whose precision Cholesky diagonal is not positive',
    (covariance) => {
      const sample = syntheticMixture(200, MEANS, { seed: 1 });
      const model = fitGmm(sample.data, 200, 5, { components: 2, covariance });
      const broken = Float64Array.from(model.precisionsCholesky);
      // Component 1's second diagonal value: block offset + 1 * (d + 1) for full, + 1 for diag.
      broken[covariance === 'full' ? 25 + 6 : 5 + 1] = 0;
      const damaged = { ...model, precisionsCholesky: broken };
      for (const use of [() => exportGmm(damaged), () => scoreSamples(damaged, sample.data, 200)]) {
        expect(use).toThrow('invalid GMM model: component 1 has a non-positive precision Cholesky diagonal');
      }
    },
  );
});
