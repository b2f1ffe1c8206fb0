import * as tf from '@tensorflow/tfjs';
import type { AutoencoderExport } from '../onnx-export/autoencoder-onnx.js';
import type { FeatureScaling } from '../onnx-export/graph-builder.js';
import { applyDense, applyStack, createDense, createStack, type DenseParams, stackVariables, toDenseLayers } from './dense-layers.js';
import type { SeededRandom } from './seeded-random.js';
import { type ArchitectureOptions, type Evaluation, makeOptimizer, nextScope, type OptimizerOptions, setOptimizerLearningRate, type TrainableModel, unscoped } from './trainable.js';

const EPSILON = 1e-7;

/**
 * AE and VAE over dense layers. AE: x → encoder → latent → decoder. VAE: the encoder's last hidden
 * layer feeds two heads (mean, log-variance); training samples z = mean + exp(logVar / 2) · ε
 * (the reparameterisation) and minimises reconstruction + KL(q(z|x) ‖ N(0, I)), the negative ELBO.
 */
export class AutoencoderModel implements TrainableModel {
  readonly scope: string;
  private readonly encoder: DenseParams[];
  private readonly mean: DenseParams | undefined;
  private readonly logVar: DenseParams | undefined;
  private readonly decoder: DenseParams[];
  private readonly optimizer: tf.Optimizer;

  constructor(
    readonly family: 'ae' | 'vae',
    private readonly arch: ArchitectureOptions,
    optimizer: OptimizerOptions,
    rng: SeededRandom,
  ) {
    this.scope = nextScope(family);
    const s = this.scope;
    const down = [arch.inputDim, ...arch.hidden];
    if (family === 'ae') {
      this.encoder = createStack(`${s}/encoder`, [...down, arch.latentDim], arch.activation, 'linear', rng);
    } else {
      this.encoder = createStack(`${s}/encoder`, down, arch.activation, arch.activation, rng);
      const width = down[down.length - 1] as number;
      this.mean = createDense(`${s}/z_mean`, width, arch.latentDim, 'linear', rng);
      this.logVar = createDense(`${s}/z_log_var`, width, arch.latentDim, 'linear', rng);
    }
    this.decoder = createStack(`${s}/decoder`, [arch.latentDim, ...[...arch.hidden].reverse(), arch.inputDim], arch.activation, arch.outputActivation, rng);
    this.optimizer = makeOptimizer(optimizer);
  }

  namedVariables(): Array<{ name: string; variable: tf.Variable }> {
    const heads = this.mean && this.logVar ? [this.mean, this.logVar] : [];
    return [...stackVariables(this.encoder), ...stackVariables(heads), ...stackVariables(this.decoder)].map((variable) => ({
      name: unscoped(this.scope, variable.name),
      variable,
    }));
  }

  optimizers(): Record<string, tf.Optimizer> {
    return { model: this.optimizer };
  }

  setLearningRate(learningRate: number): void {
    setOptimizerLearningRate(this.optimizer, learningRate);
  }

  trainBatch(x: tf.Tensor2D, rng: SeededRandom): Record<string, tf.Scalar> {
    const seed = rng.seed();
    const parts: Record<string, tf.Scalar> = {};
    const loss = this.optimizer.minimize(
      () => {
        const terms = this.lossTerms(x, seed);
        for (const [k, v] of Object.entries(terms)) if (k !== 'loss') parts[k] = tf.keep(v);
        return terms.loss as tf.Scalar;
      },
      true,
      this.namedVariables().map((v) => v.variable),
    ) as tf.Scalar;
    return { loss, ...parts };
  }

  /** Deterministic reconstruction (a VAE decodes its mean), in scaled feature space. */
  reconstruct(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => applyStack(this.encodeMean(x), this.decoder));
  }

  encodeMean(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const h = applyStack(x, this.encoder);
      return this.mean ? applyDense(h, this.mean) : h;
    });
  }

  evaluate(x: tf.Tensor2D, rng: SeededRandom): Evaluation {
    const seed = rng.seed();
    return tf.tidy(() => {
      const recon = this.reconstruct(x);
      const sq = tf.square(tf.sub(x, recon));
      const rowScores = tf.mean(sq, 1).dataSync() as Float32Array;
      const values: Record<string, number> = {
        mse: tf.mean(sq).dataSync()[0] as number,
        bce: binaryCrossEntropy(x, recon).dataSync()[0] as number,
      };
      // An AE's loss is one of the two just computed; only a VAE needs another (sampled) pass.
      if (this.family === 'ae') values.loss = this.arch.reconstructionLoss === 'bce' ? (values.bce as number) : (values.mse as number);
      else for (const [k, v] of Object.entries(this.lossTerms(x, seed))) values[k] = v.dataSync()[0] as number;
      if (this.family === 'vae') values.elbo = -(values.loss as number);
      return { values, rowScores: Float32Array.from(rowScores) };
    });
  }

  toExport(scaling?: FeatureScaling): AutoencoderExport {
    return {
      kind: this.family,
      inputDim: this.arch.inputDim,
      latentDim: this.arch.latentDim,
      encoder: toDenseLayers(this.encoder),
      ...(this.mean && this.logVar ? { mean: toDenseLayers([this.mean])[0], logVar: toDenseLayers([this.logVar])[0] } : {}),
      decoder: toDenseLayers(this.decoder),
      ...(scaling ? { scaling } : {}),
    };
  }

  dispose(): void {
    for (const { variable } of this.namedVariables()) variable.dispose();
    this.optimizer.dispose();
  }

  private lossTerms(x: tf.Tensor2D, seed: number): Record<string, tf.Scalar> {
    const h = applyStack(x, this.encoder);
    if (!this.mean || !this.logVar) {
      const recon = applyStack(h, this.decoder);
      const loss = this.arch.reconstructionLoss === 'bce' ? binaryCrossEntropy(x, recon) : tf.mean(tf.square(tf.sub(x, recon)));
      return { loss: loss as tf.Scalar };
    }
    const mean = applyDense(h, this.mean);
    const logVar = applyDense(h, this.logVar);
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
    const recon = applyStack(z, this.decoder);
    // Per-sample sums, averaged over the batch: the usual scale of the ELBO.
    const perFeature = this.arch.reconstructionLoss === 'bce' ? bceElements(x, recon) : tf.square(tf.sub(x, recon));
    const reconstruction = tf.mean(tf.sum(perFeature, 1)) as tf.Scalar;
    const kl = tf.mean(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mean)), tf.exp(logVar)), 1))) as tf.Scalar;
    return { loss: tf.add(reconstruction, kl) as tf.Scalar, reconstruction, kl };
  }
}

function bceElements(x: tf.Tensor, p: tf.Tensor): tf.Tensor {
  const q = tf.clipByValue(p, EPSILON, 1 - EPSILON);
  return tf.neg(tf.add(tf.mul(x, tf.log(q)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, q)))));
}

function binaryCrossEntropy(x: tf.Tensor, p: tf.Tensor): tf.Scalar {
  return tf.mean(bceElements(x, p)) as tf.Scalar;
}
