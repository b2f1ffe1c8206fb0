import { exportGmm, fitGmm, syntheticMixture } from '@aimass/gmm';
import { type AutoencoderExport, exportAutoencoder, exportGenerator, randomDenseNetwork } from '@aimass/onnx';
import { describe, expect, it } from 'vitest';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
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
  it.each(['ae', 'vae'] as const)('passes a faithful %s export on every graph and output', async (kind) => {
    const model = autoencoder(kind, 3);
    const network: NetworkExport = { kind: 'autoencoder', model };
    const cases = networkParityCases(network, raw, rows);
    const results = await serve({ ...exportAutoencoder(model) }, cases);
    expect(results.map((r) => `${r.role}.${r.output}`).sort()).toEqual(
      kind === 'ae'
        ? [
            'anomaly.latent',
            'anomaly.reconstruction',
            'anomaly.score',
            'decoder.reconstruction',
            'encoder.latent',
          ]
        : [
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
      const cases = [mixtureParityCase(model, data, 600)];
      const results = await serve({ mixture: exportGmm(model) }, cases);
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

  it('fails an output that is missing or of the wrong size', () => {
    const model = autoencoder('ae', 3);
    const cases = networkParityCases({ kind: 'autoencoder', model }, raw, rows);
    const results = compareParity(cases, { anomaly: { score: new Float32Array(3) } });
    expect(results.every((r) => !r.passed)).toBe(true);
  });
});
