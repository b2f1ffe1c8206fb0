import * as tf from '@tensorflow/tfjs';
import { largestGap, runOnnx } from '@aimass/testing/onnx';
import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AUTOENCODER_TENSORS, exportAutoencoder, exportGenerator, GENERATOR_TENSORS } from '@aimass/onnx';
import { AutoencoderModel } from './autoencoder.js';
import { GanModel } from './gan.js';
import { SeededRandom } from '@aimass/random';
import type { ArchitectureOptions } from './trainable.js';

const TOLERANCE = 1e-5;
const arch: ArchitectureOptions = {
  inputDim: 6,
  hidden: [10],
  latentDim: 3,
  activation: 'relu',
  outputActivation: 'sigmoid',
  reconstructionLoss: 'mse',
};
const scaling = {
  offset: Float32Array.from([0, 1, -1, 0.5, 2, 0]),
  scale: Float32Array.from([1, 0.5, 2, 1, 0.25, 3]),
};

function data(rows: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: rows * arch.inputDim }, () => rng.next());
}

/** raw → scaled, as the trainer feeds the network. */
function scaleRows(raw: Float32Array): Float32Array {
  return raw.map(
    (v, i) =>
      (v - (scaling.offset[i % arch.inputDim] as number)) * (scaling.scale[i % arch.inputDim] as number),
  );
}

describe.each(['ae', 'vae'] as const)('%s', (family) => {
  it('trains (the loss falls) and its ONNX graphs equal the tfjs model within 1e-5', async () => {
    const rng = new SeededRandom(7);
    const model = new AutoencoderModel(family, arch, { name: 'adam', learningRate: 0.01 }, rng);
    const raw = data(64, 3);
    const x = tf.tensor2d(scaleRows(raw), [64, arch.inputDim]);
    const first = (await model.evaluate(x, new SeededRandom(1))).values.mse as number;
    for (let i = 0; i < 60; i++) tf.dispose(model.trainBatch(x, rng));
    const after = await model.evaluate(x, new SeededRandom(1));
    expect(after.values.mse).toBeLessThan(first);

    const graphs = exportAutoencoder(await model.toExport(scaling));
    const input = new Tensor('float32', raw, [64, arch.inputDim]);
    const anomaly = await runOnnx(graphs.anomaly, { [AUTOENCODER_TENSORS.input]: input });
    expect(
      largestGap(anomaly[AUTOENCODER_TENSORS.score] as Float32Array, after.rowScores as Float32Array),
    ).toBeLessThan(TOLERANCE);

    const latent = model.encodeMean(x);
    const encoded = await runOnnx(graphs.encoder, { [AUTOENCODER_TENSORS.input]: input });
    const code = encoded[
      family === 'vae' ? AUTOENCODER_TENSORS.zMean : AUTOENCODER_TENSORS.latent
    ] as Float32Array;
    expect(largestGap(code, latent.dataSync())).toBeLessThan(TOLERANCE);

    const decoded = await runOnnx(graphs.decoder, {
      [AUTOENCODER_TENSORS.latent]: new Tensor('float32', Float32Array.from(latent.dataSync()), [
        64,
        arch.latentDim,
      ]),
    });
    const recon = model.reconstruct(x).dataSync();
    const rawRecon = recon.map(
      (v, i) =>
        v / (scaling.scale[i % arch.inputDim] as number) + (scaling.offset[i % arch.inputDim] as number),
    );
    expect(largestGap(decoded[AUTOENCODER_TENSORS.reconstruction] as Float32Array, rawRecon)).toBeLessThan(
      TOLERANCE,
    );
    tf.dispose([x, latent]);
    model.dispose();
  });
});

describe('gan', () => {
  it('takes discriminator and generator steps, and its generator exports to ONNX within 1e-5', async () => {
    const rng = new SeededRandom(11);
    const model = new GanModel(arch, { name: 'adam', learningRate: 0.005 }, rng);
    const x = tf.tensor2d(data(32, 5), [32, arch.inputDim]);
    const before = model.namedVariables().map((v) => v.variable.dataSync().slice());
    for (let i = 0; i < 5; i++) {
      const losses = model.trainBatch(x, rng);
      expect(Object.keys(losses).sort()).toEqual(['discriminator_loss', 'generator_loss', 'loss']);
      tf.dispose(losses);
    }
    const after = model.namedVariables().map((v) => v.variable.dataSync());
    expect(after.every((values, i) => largestGap(values, before[i] as Float32Array) > 0)).toBe(true);
    const evaluation = await model.evaluate(x, rng);
    expect(evaluation.values.sample_quality).toBeGreaterThan(0);

    const noise = tf.randomNormal<tf.Rank.R2>([16, arch.latentDim], 0, 1, 'float32', 3);
    const samples = await runOnnx(exportGenerator(await model.toExport()), {
      [GENERATOR_TENSORS.noise]: new Tensor('float32', Float32Array.from(noise.dataSync()), [
        16,
        arch.latentDim,
      ]),
    });
    const expected = model.generate(noise);
    expect(largestGap(samples[GENERATOR_TENSORS.sample] as Float32Array, expected.dataSync())).toBeLessThan(
      TOLERANCE,
    );
    tf.dispose([x, noise, expected]);
    model.dispose();
  });
});
