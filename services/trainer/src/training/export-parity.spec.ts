import { exportGmm, fitGmm, syntheticMixture } from '@aimass/gmm';
import { type AutoencoderExport, exportAutoencoder, exportGenerator, randomDenseNetwork } from '@aimass/onnx';
import { describe, expect, it } from 'vitest';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import { fitOutputVariance, scoreAutoencoder, thresholdOf } from './anomaly-scoring.js';
import {
  compareParity,
  mixtureParityCase,
  type NetworkExport,
  networkParityCases,
  type ParityCase,
  parityFailure,
} from './export-parity.js';

// Real onnxruntime on real exported graphs: a faithful export passes, a graph whose weights differ
// from the ones the trainer scored with fails, naming the output.

const ort = new OnnxRuntimeRepository();

async function serve(graphs: Record<string, Uint8Array>, cases: readonly ParityCase[]) {
  const served: Record<string, Record<string, Float32Array>> = {};
  for (const c of cases)
    served[c.role] = await ort.run(graphs[c.role]!, c.inputName, c.input, c.rows, c.width);
  return compareParity(cases, served);
}

function autoencoder(kind: 'ae' | 'vae', seed: number): AutoencoderExport {
  const layers = (inputDim: number, hidden: number[], outputDim: number) =>
    randomDenseNetwork({ inputDim, hidden, outputDim, seed, activation: 'tanh' }).layers;
  const encoder = layers(12, [], 8);
  const head = (s: number) =>
    randomDenseNetwork({ inputDim: 8, hidden: [], outputDim: 3, seed: s, activation: 'tanh' }).layers[0]!;
  return {
    kind,
    inputDim: 12,
    latentDim: 3,
    encoder: kind === 'ae' ? layers(12, [8], 3) : encoder,
    ...(kind === 'vae' ? { mean: head(seed + 1), logVar: head(seed + 2) } : {}),
    decoder: layers(3, [8], 12),
    scaling: {
      offset: Float32Array.from({ length: 12 }, (_, i) => i * 10),
      scale: Float32Array.from({ length: 12 }, (_, i) => 1 / (1 + i)),
    },
  };
}

const rows = 200;
const raw = Float32Array.from({ length: rows * 12 }, (_, i) => ((i * 7919) % 1000) / 10 + (i % 12) * 10);

describe('export parity', () => {
  it.each([
    ['ae', 'unweighted'],
    ['vae', 'unweighted'],
    ['ae', 'with a fitted output variance'],
    ['vae', 'with a fitted output variance'],
  ] as const)('passes a faithful %s export (%s) on every graph and output', async (kind, weighting) => {
    const base = autoencoder(kind, 3);
    const x = raw.map((v, i) => (v - base.scaling!.offset[i % 12]!) * base.scaling!.scale[i % 12]!);
    const plain =
      weighting === 'unweighted' ? base : { ...base, outputVariance: fitOutputVariance(base, x, rows) };
    // A threshold mid-way through the scores, so is_anomaly is true for half the rows.
    const model = { ...plain, threshold: thresholdOf(scoreAutoencoder(plain, x, rows).score, 50) };
    const network: NetworkExport = { kind: 'autoencoder', model };
    const cases = networkParityCases(network, raw, rows);
    const results = await serve({ ...exportAutoencoder(model) }, cases);
    expect(results.map((r) => `${r.role}.${r.output}`).sort()).toEqual(
      kind === 'ae'
        ? [
            'anomaly.is_anomaly',
            'anomaly.latent',
            'anomaly.reconstruction',
            'anomaly.score',
            'decoder.reconstruction',
            'encoder.latent',
          ]
        : [
            'anomaly.is_anomaly',
            'anomaly.latent',
            'anomaly.reconstruction',
            'anomaly.score',
            'decoder.reconstruction',
            'encoder.z_log_var',
            'encoder.z_mean',
          ],
    );
    for (const r of results) expect(r.passed, `${r.role}.${r.output} ${r.worstRatio}`).toBe(true);
    expect(parityFailure(results, cases)).toBeUndefined();
  });

  it('passes a GAN generator on fixed noise', async () => {
    const generator = randomDenseNetwork({
      inputDim: 4,
      hidden: [16],
      outputDim: 6,
      seed: 5,
      activation: 'relu',
    }).layers;
    const model = { noiseDim: 4, outputDim: 6, generator };
    const cases = networkParityCases({ kind: 'generator', model }, new Float32Array(0), 64);
    const results = await serve({ generator: exportGenerator(model) }, cases);
    expect(results).toHaveLength(1);
    expect(results[0]?.passed).toBe(true);
  });

  it('passes a mixture with near-constant columns, full and diagonal', async () => {
    for (const covariance of ['full', 'diag'] as const) {
      const sample = syntheticMixture(
        600,
        [
          [0, 0],
          [6, 5],
        ],
        { seed: 2 },
      );
      const data = new Float32Array(600 * 4);
      for (let n = 0; n < 600; n++) {
        data.set(sample.data.subarray(n * 2, n * 2 + 2), n * 4);
        data[n * 4 + 2] = 5;
        data[n * 4 + 3] = sample.labels[n]! * 3 + (n % 3) * 1e-4;
      }
      const model = fitGmm(data, 600, 4, { components: 2, covariance, seed: 1 });
      const threshold = thresholdOf(mixtureScores(model, data), 95);
      const cases = [mixtureParityCase(model, data, 600, threshold)];
      const results = await serve({ mixture: exportGmm(model, { threshold }) }, cases);
      expect(results.map((r) => r.output).sort()).toEqual([
        'is_anomaly',
        'log_likelihood',
        'responsibilities',
        'score',
      ]);
      for (const r of results) expect(r.passed, `${covariance} ${r.output} ${r.worstRatio}`).toBe(true);
    }
  });

  it('fails a graph that does not compute what the trainer scored, naming the output and the size', async () => {
    const model = autoencoder('ae', 3);
    const cases = networkParityCases({ kind: 'autoencoder', model }, raw, rows);
    // The served graphs carry other decoder weights than the ones the reference used.
    const other = { ...model, decoder: autoencoder('ae', 4).decoder };
    const results = await serve({ ...exportAutoencoder(other) }, cases);
    const failed = results.filter((r) => !r.passed).map((r) => `${r.role}.${r.output}`);
    expect(failed).toEqual(['anomaly.score', 'anomaly.reconstruction', 'decoder.reconstruction']);
    const reason = parityFailure(results, cases);
    expect(reason).toMatch(/does not reproduce the trained one on 200 training rows/);
    expect(reason).toMatch(
      /anomaly\.score differs by up to \S+ \(\S+× the tolerance, worst at sample row \d+\)/,
    );
    expect(reason).toMatch(/nothing was registered$/);
  });

  it.each([
    ['an AE served with another threshold', 'ae', 0.5],
    ['a VAE served with another threshold', 'vae', 0.5],
    ['an AE whose graph flags nothing', 'ae', Infinity],
  ] as const)('fails %s on is_anomaly alone, naming it', async (_what, kind, served) => {
    const plain = autoencoder(kind, 3);
    const x = raw.map((v, i) => (v - plain.scaling!.offset[i % 12]!) * plain.scaling!.scale[i % 12]!);
    const scores = scoreAutoencoder(plain, x, rows).score;
    const threshold = thresholdOf(scores, 90);
    const cases = networkParityCases({ kind: 'autoencoder', model: { ...plain, threshold } }, raw, rows);
    // The served threshold sits at another percentile (or above every score).
    const wrong = Number.isFinite(served) ? thresholdOf(scores, served * 100) : 3.0e38;
    const results = await serve({ ...exportAutoencoder({ ...plain, threshold: wrong }) }, cases);
    expect(results.filter((r) => !r.passed).map((r) => `${r.role}.${r.output}`)).toEqual([
      'anomaly.is_anomaly',
    ]);
    const flag = results.find((r) => r.output === 'is_anomaly')!;
    expect(flag.disagreements).toBe(Number.isFinite(served) ? 80 : 20);
    expect(parityFailure(results, cases)).toMatch(
      /anomaly\.is_anomaly disagrees with score > threshold \S+ on \d+ rows, the worst at sample row \d+ with a score \S+× the tolerance away from the threshold/,
    );
  });

  it('lets is_anomaly go either way on a row whose score is within the tolerance of the threshold', () => {
    const score = Float64Array.of(1, 2, 3, 4);
    const base = {
      role: 'anomaly',
      inputName: 'x',
      input: new Float32Array(4),
      rows: 4,
      width: 1,
      expected: {},
    };
    // The threshold equals row 3's score to within float32 rounding: either answer passes there.
    const near = [{ ...base, flags: { is_anomaly: { score, threshold: 3 + 1e-7 } } }];
    const flipNear = compareParity(near, { anomaly: { is_anomaly: Float32Array.of(0, 0, 1, 1) } });
    expect(flipNear[0]).toMatchObject({ passed: true, disagreements: 1 });
    // Row 2's score is a clear 1 below the threshold: flagging it fails.
    const flipFar = compareParity(near, { anomaly: { is_anomaly: Float32Array.of(0, 1, 0, 1) } });
    expect(flipFar[0]).toMatchObject({ passed: false, disagreements: 1, worstIndex: 1 });
    const missing = compareParity(near, { anomaly: {} });
    expect(missing[0]?.passed).toBe(false);
  });

  it('fails an output that is missing or of the wrong size', () => {
    const model = autoencoder('ae', 3);
    const cases = networkParityCases({ kind: 'autoencoder', model }, raw, rows);
    const results = compareParity(cases, { anomaly: { score: new Float32Array(3) } });
    expect(results.every((r) => !r.passed)).toBe(true);
  });
});

/** A mixture's anomaly scores, −log p(x), of its own training rows. */
function mixtureScores(model: ReturnType<typeof fitGmm>, data: Float32Array): Float64Array {
  const c = mixtureParityCase(model, data, data.length / model.dims);
  return c.expected.score as Float64Array;
}
