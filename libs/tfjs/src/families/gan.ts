import * as tf from '@tensorflow/tfjs';
import type { FeatureScaling, GeneratorExport } from '@aimass/onnx';
import { applyStack, createStack, type DenseParams, stackVariables, toDenseLayers } from './dense-layers.js';
import type { SeededRandom } from '@aimass/random';
import {
  type ArchitectureOptions,
  type Evaluation,
  makeOptimizer,
  nextScope,
  type OptimizerOptions,
  readScalars,
  setOptimizerLearningRate,
  type TrainableModel,
  unscoped,
} from './trainable.js';

/**
 * A GAN over dense layers: generator noise (latentDim) → hidden → data; discriminator data →
 * mirrored hidden → one logit. Each batch takes one discriminator step and then one generator step
 * (the non-saturating loss −log D(G(z))).
 */
export class GanModel implements TrainableModel {
  readonly family = 'gan' as const;
  readonly scope = nextScope('gan');
  private readonly generator: DenseParams[];
  private readonly discriminator: DenseParams[];
  private readonly gOpt: tf.Optimizer;
  private readonly dOpt: tf.Optimizer;

  constructor(
    private readonly arch: ArchitectureOptions,
    optimizer: OptimizerOptions,
    rng: SeededRandom,
  ) {
    this.generator = createStack(
      `${this.scope}/generator`,
      [arch.latentDim, ...arch.hidden, arch.inputDim],
      arch.activation,
      arch.outputActivation,
      rng,
    );
    this.discriminator = createStack(
      `${this.scope}/discriminator`,
      [arch.inputDim, ...[...arch.hidden].reverse(), 1],
      arch.activation === 'relu' ? 'leaky_relu' : arch.activation,
      'linear',
      rng,
    );
    this.gOpt = makeOptimizer(optimizer);
    this.dOpt = makeOptimizer(optimizer);
  }

  namedVariables(): Array<{ name: string; variable: tf.Variable }> {
    return [...stackVariables(this.generator), ...stackVariables(this.discriminator)].map((variable) => ({
      name: unscoped(this.scope, variable.name),
      variable,
    }));
  }

  optimizers(): Record<string, tf.Optimizer> {
    return { generator: this.gOpt, discriminator: this.dOpt };
  }

  setLearningRate(learningRate: number): void {
    setOptimizerLearningRate(this.gOpt, learningRate);
    setOptimizerLearningRate(this.dOpt, learningRate);
  }

  trainBatch(x: tf.Tensor2D, rng: SeededRandom): Record<string, tf.Scalar> {
    const n = x.shape[0];
    const dSeed = rng.seed();
    const gSeed = rng.seed();
    const discriminatorLoss = this.dOpt.minimize(
      () => this.discriminatorLoss(x, this.noise(n, dSeed)),
      true,
      stackVariables(this.discriminator),
    ) as tf.Scalar;
    const generatorLoss = this.gOpt.minimize(
      () => this.generatorLoss(this.noise(n, gSeed)),
      true,
      stackVariables(this.generator),
    ) as tf.Scalar;
    return {
      loss: tf.keep(tf.add(discriminatorLoss, generatorLoss)) as tf.Scalar,
      generator_loss: generatorLoss,
      discriminator_loss: discriminatorLoss,
    };
  }

  /** The generator's rows, in scaled feature space, for rows of noise (what the ONNX export computes). */
  generate(noise: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => applyStack(noise, this.generator));
  }

  async evaluate(x: tf.Tensor2D, rng: SeededRandom): Promise<Evaluation> {
    const n = x.shape[0];
    const seed = rng.seed();
    const values = await readScalars(
      tf.tidy(() => {
        const noise = this.noise(n, seed);
        const d = this.discriminatorLoss(x, noise);
        const g = this.generatorLoss(noise);
        return {
          loss: tf.add(d, g) as tf.Scalar,
          generator_loss: g,
          discriminator_loss: d,
          sample_quality: frechetTerms(x, this.generate(noise)),
        };
      }),
    );
    return { values };
  }

  async toExport(scaling?: FeatureScaling): Promise<GeneratorExport> {
    return {
      noiseDim: this.arch.latentDim,
      outputDim: this.arch.inputDim,
      generator: await toDenseLayers(this.generator),
      ...(scaling ? { scaling } : {}),
    };
  }

  dispose(): void {
    for (const { variable } of this.namedVariables()) variable.dispose();
    this.gOpt.dispose();
    this.dOpt.dispose();
  }

  private noise(n: number, seed: number): tf.Tensor2D {
    return tf.randomNormal([n, this.arch.latentDim], 0, 1, 'float32', seed);
  }

  private discriminatorLoss(real: tf.Tensor2D, noise: tf.Tensor2D): tf.Scalar {
    const fake = applyStack(noise, this.generator);
    const realLogits = applyStack(real, this.discriminator);
    const fakeLogits = applyStack(fake, this.discriminator);
    return tf.add(
      tf.losses.sigmoidCrossEntropy(tf.onesLike(realLogits), realLogits),
      tf.losses.sigmoidCrossEntropy(tf.zerosLike(fakeLogits), fakeLogits),
    ) as tf.Scalar;
  }

  private generatorLoss(noise: tf.Tensor2D): tf.Scalar {
    const logits = applyStack(applyStack(noise, this.generator), this.discriminator);
    return tf.losses.sigmoidCrossEntropy(tf.onesLike(logits), logits) as tf.Scalar;
  }
}

/**
 * The sample-quality score: the Fréchet distance between Gaussians fitted to real and generated
 * rows with diagonal covariances, Σ (μr − μg)² + (σr − σg)². 0 is a perfect match; lower is better.
 */
function frechetTerms(real: tf.Tensor2D, fake: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const r = tf.moments(real, 0);
    const f = tf.moments(fake, 0);
    const meanTerm = tf.sum(tf.square(tf.sub(r.mean, f.mean)));
    const sdTerm = tf.sum(tf.square(tf.sub(tf.sqrt(r.variance), tf.sqrt(f.variance))));
    return tf.add(meanTerm, sdTerm) as tf.Scalar;
  });
}
