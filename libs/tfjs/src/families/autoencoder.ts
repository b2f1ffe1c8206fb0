import * as tf from '@tensorflow/tfjs';
import { type AutoencoderExport, type FeatureScaling, VAE_SCORE_SAMPLES, vaeScoreNoise } from '@aimass/onnx';
import {
  applyDense,
  applyStack,
  createDense,
  createStack,
  type DenseParams,
  stackVariables,
  toDenseLayers,
} from './dense-layers.js';
import type { SeededRandom } from '@aimass/random';
import { bceElements, binaryCrossEntropy, gaussianKl, squaredError } from './losses.js';

/** Rows per chunk of the VAE's sampled score, which holds VAE_SCORE_SAMPLES reconstructions per row. */
const SCORE_CHUNK = 1024;
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
    this.decoder = createStack(
      `${s}/decoder`,
      [arch.latentDim, ...[...arch.hidden].reverse(), arch.inputDim],
      arch.activation,
      arch.outputActivation,
      rng,
    );
    this.optimizer = makeOptimizer(optimizer);
  }

  namedVariables(): Array<{ name: string; variable: tf.Variable }> {
    const heads = this.mean && this.logVar ? [this.mean, this.logVar] : [];
    return [...stackVariables(this.encoder), ...stackVariables(heads), ...stackVariables(this.decoder)].map(
      (variable) => ({
        name: unscoped(this.scope, variable.name),
        variable,
      }),
    );
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

  async evaluate(x: tf.Tensor2D, rng: SeededRandom): Promise<Evaluation> {
    const seed = rng.seed();
    const { rowScores, ...scalars } = tf.tidy(() => {
      const recon = this.reconstruct(x);
      const terms: Record<string, tf.Tensor> = {
        rowScores: tf.mean(tf.square(tf.sub(x, recon)), 1),
        mse: squaredError(x, recon, 'mean'),
        bce: binaryCrossEntropy(x, recon, 'mean'),
      };
      // An AE's loss is one of the two just computed; only a VAE needs another (sampled) pass.
      return this.family === 'ae' ? terms : { ...terms, ...this.lossTerms(x, seed) };
    });
    let scores = (await (rowScores as tf.Tensor).data()) as Float32Array;
    rowScores?.dispose();
    if (this.family === 'vae') scores = await this.elboScores(x);
    const values = await readScalars(scalars as Record<string, tf.Scalar>);
    if (this.family === 'ae')
      values.loss = this.arch.reconstructionLoss === 'bce' ? (values.bce as number) : (values.mse as number);
    else values.elbo = -(values.loss as number);
    return { values, rowScores: scores };
  }

  /**
   * A VAE's anomaly score per row, as its exported graph computes it: −ELBO, the reconstruction
   * term averaged over the fixed draws of vaeScoreNoise, plus the KL term. `weights` (per feature,
   * an mse loss only): 1 / σ², as the export's reconstructionWeights gives it; each feature's term
   * is then the Cauchy log(1 + e²/σ²) of the export's vaeReconstructionTerm.
   */
  async elboScores(x: tf.Tensor2D, weights?: Float32Array): Promise<Float32Array> {
    const [rows, d] = x.shape;
    const k = this.arch.latentDim;
    const L = VAE_SCORE_SAMPLES;
    const out = new Float32Array(rows);
    const noise = tf.tensor3d(vaeScoreNoise(k), [1, L, k]);
    const weighting = weights && this.arch.reconstructionLoss === 'mse' ? tf.tensor1d(weights) : undefined;
    try {
      for (let from = 0; from < rows; from += SCORE_CHUNK) {
        const size = Math.min(SCORE_CHUNK, rows - from);
        const score = tf.tidy(() => {
          const chunk = tf.slice(x, [from, 0], [size, d]);
          const h = applyStack(chunk, this.encoder);
          const mean = applyDense(h, this.mean as DenseParams);
          const logVar = applyDense(h, this.logVar as DenseParams);
          const sigma = tf.exp(tf.mul(logVar, 0.5));
          const z = tf.add(tf.expandDims(mean, 1), tf.mul(tf.expandDims(sigma, 1), noise));
          const recon = tf.reshape(applyStack(tf.reshape(z, [size * L, k]) as tf.Tensor2D, this.decoder), [
            size,
            L,
            d,
          ]);
          const x3 = tf.expandDims(chunk, 1);
          const elements =
            this.arch.reconstructionLoss === 'bce'
              ? bceElements(x3, tf.clipByValue(recon, 1e-7, 1 - 1e-7))
              : weighting
                ? tf.log1p(tf.mul(tf.square(tf.sub(x3, recon)), weighting))
                : tf.square(tf.sub(x3, recon));
          const rec = tf.mean(tf.sum(elements, 2), 1);
          const kl = tf.mul(
            -0.5,
            tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mean)), tf.exp(logVar)), 1),
          );
          return tf.add(rec, kl);
        });
        out.set((await score.data()) as Float32Array, from);
        score.dispose();
      }
    } finally {
      noise.dispose();
      weighting?.dispose();
    }
    return out;
  }

  async toExport(scaling?: FeatureScaling): Promise<AutoencoderExport> {
    const [encoder, heads, decoder] = await Promise.all([
      toDenseLayers(this.encoder),
      toDenseLayers(this.mean && this.logVar ? [this.mean, this.logVar] : []),
      toDenseLayers(this.decoder),
    ]);
    return {
      kind: this.family,
      inputDim: this.arch.inputDim,
      latentDim: this.arch.latentDim,
      encoder,
      ...(heads.length === 2 ? { mean: heads[0], logVar: heads[1] } : {}),
      decoder,
      ...(scaling ? { scaling } : {}),
      reconstructionLoss: this.arch.reconstructionLoss,
    };
  }

  dispose(): void {
    for (const { variable } of this.namedVariables()) variable.dispose();
    this.optimizer.dispose();
  }

  private lossTerms(x: tf.Tensor2D, seed: number): Record<string, tf.Scalar> {
    const h = applyStack(x, this.encoder);
    const bce = this.arch.reconstructionLoss === 'bce';
    if (!this.mean || !this.logVar) {
      const recon = applyStack(h, this.decoder);
      return { loss: bce ? binaryCrossEntropy(x, recon, 'mean') : squaredError(x, recon, 'mean') };
    }
    const mean = applyDense(h, this.mean);
    const logVar = applyDense(h, this.logVar);
    const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', seed);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as tf.Tensor2D;
    const recon = applyStack(z, this.decoder);
    // Per-sample sums, averaged over the batch: the usual scale of the ELBO.
    const reconstruction = bce
      ? binaryCrossEntropy(x, recon, 'per-sample')
      : squaredError(x, recon, 'per-sample');
    const kl = gaussianKl(mean, logVar);
    return { loss: tf.add(reconstruction, kl) as tf.Scalar, reconstruction, kl };
  }
}
