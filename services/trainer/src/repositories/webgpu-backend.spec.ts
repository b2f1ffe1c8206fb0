import { loadConfig } from '@aimass/config';
import { AUTOENCODER_TENSORS, exportAutoencoder, exportGenerator, GENERATOR_TENSORS } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { AutoencoderModel, GanModel } from '@aimass/tfjs/families';
import * as tf from '@tensorflow/tfjs';
import { largestGap, runOnnx } from '@aimass/testing/onnx';
import { Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltin } from '../datasets/builtin-datasets.js';
import { prepare } from '../datasets/preprocessing.js';
import { validateSpec } from '../dtos/job-spec.dto.js';
import { trainNetwork } from '../training/network-training.js';
import { type ComputeBackend, ComputeBackendRepository } from './compute-backend.repository.js';

// The WebGPU path without a GPU: Dawn's OpenGL ES backend on Mesa's llvmpipe, which the bootstrap
// installs from Debian. Every tfjs family trains here through the trainer's loop and the exported
// ONNX graphs, run by onnxruntime, give what the trained model gives.

const arch = {
  inputDim: 6,
  hidden: [10],
  latentDim: 3,
  activation: 'relu',
  outputActivation: 'sigmoid',
  reconstructionLoss: 'mse',
} as const;
/** float32 on the GPU against onnxruntime on the CPU, after reductions of different order. */
const TOLERANCE = 1e-4;

let backend: ComputeBackend;
let repository: ComputeBackendRepository;

beforeAll(async () => {
  repository = new ComputeBackendRepository(loadConfig({ AIMASS_TRAINER_BACKEND: 'webgpu' }));
  backend = await repository.select();
});

function rows(n: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: n * arch.inputDim }, () => rng.next());
}

describe('the webgpu backend on Mesa (no GPU)', () => {
  it('runs tfjs on a Dawn adapter, and says it is a software one', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(backend).toMatchObject({
      name: 'webgpu',
      gpu: false,
      adapter: { api: 'opengles', software: true },
    });
    expect(backend.maxResidentBytes).toBeGreaterThan(1024 ** 2);
  });

  it.each(['ae', 'vae', 'gan'] as const)(
    '%s: the trainer loop trains it and exports its graphs',
    async (family) => {
      const spec = validateSpec({
        family,
        dataset: { builtin: 'anomaly_blobs', rows: 240, features: 6 },
        epochs: 3,
        batch_size: 32,
        architecture: { hidden: [12], latent_dim: 3 },
      });
      const data = prepare(loadBuiltin('anomaly_blobs', 240, 6, 1), {
        scaling: spec.preprocessing.scaling,
        validationSplit: 0.25,
        seed: 42,
      });
      const losses: number[] = [];
      const outcome = await trainNetwork(
        `gles-${family}`,
        spec,
        data,
        undefined,
        {
          shouldStop: () => false,
          onEpoch: async (r) => void losses.push(r.losses.loss as number),
          saveCheckpoint: async () => undefined,
        },
        repository.training(backend),
      );
      expect(losses).toHaveLength(3);
      for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
      if (family !== 'gan') expect(losses[2]).toBeLessThan(losses[0] as number);
      expect(Object.keys(outcome.graphs).sort()).toEqual(
        family === 'gan' ? ['generator'] : ['anomaly', 'decoder', 'encoder'],
      );
    },
  );

  it.each(['ae', 'vae'] as const)(
    '%s: onnxruntime on the exported graphs gives what the model trained on WebGPU gives',
    async (family) => {
      const rng = new SeededRandom(7);
      const model = new AutoencoderModel(family, arch, { name: 'adam', learningRate: 0.01 }, rng);
      const raw = rows(64, 3);
      const x = tf.tensor2d(raw, [64, arch.inputDim]);
      for (let i = 0; i < 20; i++) tf.dispose(model.trainBatch(x, rng));
      const trained = await model.evaluate(x, new SeededRandom(1));
      const graphs = exportAutoencoder(await model.toExport());
      const input = new Tensor('float32', raw, [64, arch.inputDim]);
      const served = await runOnnx(graphs.anomaly, { [AUTOENCODER_TENSORS.input]: input });
      expect(
        largestGap(served[AUTOENCODER_TENSORS.score] as Float32Array, trained.rowScores as Float32Array),
      ).toBeLessThan(TOLERANCE);
      const latent = model.encodeMean(x);
      const encoded = await runOnnx(graphs.encoder, { [AUTOENCODER_TENSORS.input]: input });
      expect(
        largestGap(
          encoded[family === 'vae' ? AUTOENCODER_TENSORS.zMean : AUTOENCODER_TENSORS.latent] as Float32Array,
          await latent.data(),
        ),
      ).toBeLessThan(TOLERANCE);
      tf.dispose([x, latent]);
      model.dispose();
    },
  );

  it('gan: onnxruntime on the exported generator gives what the generator trained on WebGPU gives', async () => {
    const rng = new SeededRandom(11);
    const model = new GanModel(arch, { name: 'adam', learningRate: 0.005 }, rng);
    const x = tf.tensor2d(rows(32, 5), [32, arch.inputDim]);
    for (let i = 0; i < 5; i++) tf.dispose(model.trainBatch(x, rng));
    const noise = tf.randomNormal<tf.Rank.R2>([16, arch.latentDim], 0, 1, 'float32', 3);
    const served = await runOnnx(exportGenerator(await model.toExport()), {
      [GENERATOR_TENSORS.noise]: new Tensor('float32', Float32Array.from(await noise.data()), [
        16,
        arch.latentDim,
      ]),
    });
    const expected = model.generate(noise);
    expect(largestGap(served[GENERATOR_TENSORS.sample] as Float32Array, await expected.data())).toBeLessThan(
      TOLERANCE,
    );
    tf.dispose([x, noise, expected]);
    model.dispose();
  });

  it("Adam's three fused kernels update as tfjs's Adam does, given the same gradients", async () => {
    const { FusedAdamOptimizer } = await import('@aimass/tfjs/families');
    const shapes = [[5, 3], [7]];
    const initial = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', i + 1));
    const fusedVars = initial.map((t, i) => tf.variable(t.clone(), true, `fused_${i}`));
    const plainVars = initial.map((t, i) => tf.variable(t.clone(), true, `plain_${i}`));
    const fused = new FusedAdamOptimizer(0.01);
    const plain = tf.train.adam(0.01);
    for (let step = 0; step < 6; step++) {
      const grads = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1 + step, 'float32', 100 * step + i));
      fused.applyGradients(fusedVars.map((v, i) => ({ name: v.name, tensor: grads[i] as tf.Tensor })));
      plain.applyGradients(plainVars.map((v, i) => ({ name: v.name, tensor: grads[i] as tf.Tensor })));
      tf.dispose(grads);
    }
    for (let i = 0; i < shapes.length; i++) {
      expect(
        largestGap(await (fusedVars[i] as tf.Variable).data(), await (plainVars[i] as tf.Variable).data()),
      ).toBeLessThan(1e-6);
    }
    // The same slots, so a checkpoint written on WebGPU resumes anywhere.
    const [fw, pw] = [await fused.getWeights(), await plain.getWeights()];
    expect(fw).toHaveLength(pw.length);
    expect(await fw[0]!.tensor.data()).toEqual(await pw[0]!.tensor.data());
    for (let i = 1; i < fw.length; i++)
      expect(largestGap(await fw[i]!.tensor.data(), await pw[i]!.tensor.data())).toBeLessThan(1e-6);
  });
});
