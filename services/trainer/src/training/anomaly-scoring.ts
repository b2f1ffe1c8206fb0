import {
  type AutoencoderExport,
  type DenseLayer,
  denseForward,
  reconstructionWeights,
  VAE_SCORE_SAMPLES,
  vaeReconstructionTerm,
  vaeScoreNoise,
} from '@aimass/onnx';
import { percentileOfSorted } from '../datasets/preprocessing.js';

/**
 * The trainer's own scoring of an AE or VAE, from its exported weights, with float64 accumulation:
 * what the anomaly threshold is taken from and what the served graph is checked against.
 */
export interface AutoencoderScoring {
  /**
   * AE: mean squared reconstruction error over scaled features (each divided by the model's
   * outputVariance when it has one). VAE: the negative ELBO (see below).
   */
  readonly score: Float64Array;
  /** Of the latent code (a VAE's mean), in scaled feature space. */
  readonly reconstruction: Float32Array;
  readonly latent: Float32Array;
  /** VAE only. */
  readonly logVar?: Float32Array;
}

/** At most this many training rows (the first of the seeded shuffle) set the threshold. */
export const THRESHOLD_ROWS = 5000;

/**
 * A feature's fitted output variance is at least this share of the mean over features, and at least
 * OUTPUT_VARIANCE_MIN: a feature reconstructed (almost) exactly, such as a constant one, then weighs
 * at most 1 / OUTPUT_VARIANCE_FLOOR times the average, not without bound.
 */
export const OUTPUT_VARIANCE_FLOOR = 0.01;
export const OUTPUT_VARIANCE_MIN = 1e-3;

/**
 * Scores `rows` scaled rows. A VAE's score is −ELBO: its reconstruction term (summed squared error,
 * or binary cross-entropy with a bce loss, over features) averaged over VAE_SCORE_SAMPLES latent
 * draws z = μ + exp(logVar / 2) · ε with the fixed ε of vaeScoreNoise, plus KL(q(z|x) ‖ N(0, I)).
 * With an outputVariance σ², each squared error is standardised by reconstructionWeights (1 / σ²):
 * the AE's score is then the mean standardised squared error, and a VAE's reconstruction term the
 * Cauchy negative log-likelihood log(1 + e²/σ²) summed over features (vaeReconstructionTerm), as
 * the exported graph does.
 */
export function scoreAutoencoder(m: AutoencoderExport, x: Float32Array, rows: number): AutoencoderScoring {
  const { latent, reconstruction, logVar, sampled } = decode(m, x, rows);
  const d = m.inputDim;
  const weights = reconstructionWeights(m);
  const score = new Float64Array(rows);
  if (!logVar || !sampled) {
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const diff = (x[r * d + f] as number) - (reconstruction[r * d + f] as number);
        sum += diff * diff * (weights ? (weights[f] as number) : 1);
      }
      score[r] = sum / d;
    }
    return { score, reconstruction, latent };
  }
  const k = m.latentDim;
  const L = VAE_SCORE_SAMPLES;
  const bce = m.reconstructionLoss === 'bce';
  for (let r = 0; r < rows; r++) {
    let rec = 0;
    for (let l = 0; l < L; l++)
      for (let f = 0; f < d; f++) {
        const xv = x[r * d + f] as number;
        const rv = sampled[(r * L + l) * d + f] as number;
        if (bce) {
          const q = Math.min(Math.max(rv, 1e-7), 1 - 1e-7);
          rec -= xv * Math.log(q) + (1 - xv) * Math.log(1 - q);
        } else {
          const q = (xv - rv) * (xv - rv) * (weights ? (weights[f] as number) : 1);
          rec += vaeReconstructionTerm(q, weights !== undefined);
        }
      }
    let kl = 0;
    for (let j = 0; j < k; j++) {
      const lv = logVar[r * k + j] as number;
      const mu = latent[r * k + j] as number;
      kl += 1 + lv - mu * mu - Math.exp(lv);
    }
    score[r] = rec / L - 0.5 * kl;
  }
  return { score, reconstruction, latent, logVar };
}

/**
 * EM rounds at most for a VAE's Cauchy scales; they stop earlier once no feature's scale moves by
 * more than CAUCHY_SCALE_TOLERANCE (relative).
 */
const CAUCHY_SCALE_ROUNDS = 100;
const CAUCHY_SCALE_TOLERANCE = 1e-3;

/**
 * The decoder's spread per scaled feature, fitted by maximum likelihood on training rows under the
 * likelihood the score uses, from the residuals of the reconstruction the score uses (an AE's; for
 * a VAE, its reconstructions from the score's fixed latent draws), floored (OUTPUT_VARIANCE_FLOOR,
 * OUTPUT_VARIANCE_MIN). AE: the Gaussian variance, the mean squared residual. VAE (mse): the squared
 * scale γ² of its Cauchy term, by the EM fixed point of a Student-t scale with ν = 1,
 * γ² ← (2/N) Σ e² / (1 + e²/γ²), started from the mean squared residual; a heavy-tailed
 * residual (a rare stroke through a nearly blank pixel) then barely widens the scale, as it would
 * a variance. A score weighted by it puts every feature's error on the scale of that feature's
 * typical error, which the network's fit, not the feature's units, decides.
 */
export function fitOutputVariance(m: AutoencoderExport, x: Float32Array, rows: number): Float32Array {
  const { reconstruction, sampled } = decode(m, x, rows);
  const d = m.inputDim;
  const draws = sampled ? VAE_SCORE_SAMPLES : 1;
  const recon = sampled ?? reconstruction;
  const count = Math.max(1, rows * draws);
  // Squared residuals [rows · draws, d], written over the reconstructions, which are not needed again.
  const squared = recon;
  for (let r = 0; r < rows; r++)
    for (let l = 0; l < draws; l++)
      for (let f = 0; f < d; f++) {
        const at = (r * draws + l) * d + f;
        const diff = (x[r * d + f] as number) - (recon[at] as number);
        squared[at] = diff * diff;
      }
  let variance = new Float64Array(d);
  for (let i = 0; i < squared.length; i++) variance[i % d]! += squared[i] as number;
  variance = variance.map((s) => s / count);
  if (m.kind === 'vae' && m.reconstructionLoss !== 'bce') {
    for (let round = 0; round < CAUCHY_SCALE_ROUNDS; round++) {
      const previous = variance;
      const sums = new Float64Array(d);
      for (let at = 0; at < squared.length; at += d)
        for (let f = 0; f < d; f++) {
          const g = previous[f] as number;
          const q = squared[at + f] as number;
          // A feature reconstructed exactly (g = 0) stays at 0, for the floor below.
          if (g > 0) sums[f]! += (2 * q) / (1 + q / g);
        }
      variance = sums.map((s) => s / count);
      const moved = variance.some(
        (v, f) => Math.abs(v - (previous[f] as number)) > CAUCHY_SCALE_TOLERANCE * (previous[f] as number),
      );
      if (!moved) break;
    }
  }
  const floor = Math.max(
    OUTPUT_VARIANCE_MIN,
    (OUTPUT_VARIANCE_FLOOR * variance.reduce((a, b) => a + b, 0)) / d,
  );
  return Float32Array.from(variance, (v) => Math.max(v, floor));
}

/** The `percentile`-th percentile of the scores (numpy's linear interpolation); NaN scores are ignored. */
export function thresholdOf(scores: ArrayLike<number>, percentile: number): number {
  const sorted = Float64Array.from(scores).filter((v) => !Number.isNaN(v));
  sorted.sort();
  return percentileOfSorted(sorted, percentile);
}

/**
 * The latent code (a VAE's mean), its decoding and, for a VAE, the log-variance and the decodings of
 * the VAE_SCORE_SAMPLES fixed draws per row ([rows · L, inputDim], row-major by row then draw).
 */
function decode(
  m: AutoencoderExport,
  x: Float32Array,
  rows: number,
): { latent: Float32Array; reconstruction: Float32Array; logVar?: Float32Array; sampled?: Float32Array } {
  const hidden = forward(m.encoder, x, rows, m.inputDim);
  const hiddenWidth = m.encoder.at(-1)?.bias.length ?? m.inputDim;
  const latent = m.mean ? forward([m.mean], hidden, rows, hiddenWidth) : hidden;
  const reconstruction = forward(m.decoder, latent, rows, m.latentDim);
  if (m.kind === 'ae' || !m.logVar) return { latent, reconstruction };
  const k = m.latentDim;
  const L = VAE_SCORE_SAMPLES;
  const logVar = forward([m.logVar], hidden, rows, hiddenWidth);
  const noise = vaeScoreNoise(k);
  const z = new Float32Array(rows * L * k);
  for (let r = 0; r < rows; r++)
    for (let l = 0; l < L; l++)
      for (let j = 0; j < k; j++) {
        const sigma = Math.exp(0.5 * (logVar[r * k + j] as number));
        z[(r * L + l) * k + j] = (latent[r * k + j] as number) + sigma * (noise[l * k + j] as number);
      }
  return { latent, reconstruction, logVar, sampled: forward(m.decoder, z, rows * L, k) };
}

function forward(
  layers: readonly DenseLayer[],
  x: Float32Array,
  rows: number,
  inputDim: number,
): Float32Array {
  if (layers.length === 0) return x;
  return denseForward(
    { inputName: 'x', outputName: 'y', inputDim, layers: [...layers], batch: 'dynamic' },
    x,
    rows,
  );
}
