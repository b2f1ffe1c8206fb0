import { SeededRandom } from '@aimass/random';
import { onnx } from '@aimass/tensors';
import type { DenseLayer } from '../dense/dense-spec.js';
import { type FeatureScaling, OnnxGraphBuilder } from './graph-builder.js';

/** Latent samples a VAE's anomaly score averages its reconstruction term over. */
export const VAE_SCORE_SAMPLES = 10;
const VAE_NOISE_SEED = 0x5a3e;

/**
 * The weights of a trained AE or VAE as plain dense layers. For an AE the encoder ends at the
 * latent code; for a VAE it ends at the last hidden layer and `mean`/`logVar` are its two heads.
 */
export interface AutoencoderExport {
  readonly kind: 'ae' | 'vae';
  readonly inputDim: number;
  readonly latentDim: number;
  readonly encoder: readonly DenseLayer[];
  readonly mean?: DenseLayer;
  readonly logVar?: DenseLayer;
  readonly decoder: readonly DenseLayer[];
  /** When set, the graphs take and give raw features; the network works on scaled ones. */
  readonly scaling?: FeatureScaling;
  /** The VAE's reconstruction loss, which its ELBO score uses (default mse). */
  readonly reconstructionLoss?: 'mse' | 'bce';
  /**
   * The decoder's variance σ² per scaled feature, fitted on the training rows once training ends.
   * When set, each feature's squared error in the score is divided by it (see
   * reconstructionWeights), so a feature the network reconstructs closely counts for more than one
   * it cannot reconstruct at all; a VAE's reconstruction term then takes that standardised error
   * e²/σ² through a Cauchy likelihood of scale σ (see vaeReconstructionTerm). Ignored by a VAE
   * with a bce loss.
   */
  readonly outputVariance?: Float32Array;
  /** When set, the anomaly graph also outputs `is_anomaly` = score > threshold. */
  readonly threshold?: number;
}

/**
 * The float32 weight of each feature's squared error in the score, which the graph and the
 * trainer's own scoring both use: 1 / σ², the squared error standardised by the feature's fitted
 * variance. Undefined when the squared errors are unweighted: no outputVariance, or a VAE with a
 * bce loss.
 */
export function reconstructionWeights(model: AutoencoderExport): Float32Array | undefined {
  if (!model.outputVariance) return undefined;
  if (model.kind === 'vae' && model.reconstructionLoss === 'bce') return undefined;
  return Float32Array.from(model.outputVariance, (v) => 1 / v);
}

/**
 * A VAE's per-feature reconstruction term from a standardised squared error q = e²/σ² (weighted) or
 * a plain squared error (unweighted), as the graph and the trainer's scoring both compute it. With
 * weights: log(1 + q), the negative log-likelihood of a Cauchy (Student-t, ν = 1) decoder of scale
 * σ, less a constant. Near zero it is about q, as a squared error is, but beyond a few σ it grows
 * only logarithmically, so one feature far outside anything seen in training (a pixel that is
 * almost always blank, standardised to tens of σ) adds a few nats instead of drowning out every
 * other feature: the heavy-tailed decoder is the robust choice for VAEs (Takahashi et al. 2018,
 * Student-t VAE). Without weights: the squared error, as the training loss has it.
 */
export function vaeReconstructionTerm(q: number, weighted: boolean): number {
  return weighted ? Math.log1p(q) : q;
}

export interface AutoencoderGraphs {
  /** x [batch, inputDim] → latent [batch, latentDim] (VAE: z_mean and z_log_var). */
  readonly encoder: Uint8Array;
  /** latent [batch, latentDim] → reconstruction [batch, inputDim]. */
  readonly decoder: Uint8Array;
  /**
   * x → score [batch], reconstruction, latent and, with a threshold, is_anomaly [batch] (BOOL).
   * AE: the mean squared reconstruction error over scaled features, each feature's divided by its
   * outputVariance when set. VAE: the negative ELBO, its reconstruction term averaged over
   * VAE_SCORE_SAMPLES latent draws from fixed noise (see vaeScoreNoise), so the graph is
   * deterministic; with outputVariance, under a Cauchy decoder of that per-feature scale (see
   * vaeReconstructionTerm).
   */
  readonly anomaly: Uint8Array;
}

export const AUTOENCODER_TENSORS = {
  input: 'x',
  latent: 'latent',
  zMean: 'z_mean',
  zLogVar: 'z_log_var',
  reconstruction: 'reconstruction',
  score: 'score',
  isAnomaly: 'is_anomaly',
} as const;

/**
 * The fixed standard-normal draws ε [VAE_SCORE_SAMPLES, latentDim] (float32) a VAE's score uses:
 * z_l = μ + exp(logVar / 2) · ε_l. Seeded, so the graph and the trainer's own scoring agree.
 */
export function vaeScoreNoise(latentDim: number): Float32Array {
  const rng = new SeededRandom(VAE_NOISE_SEED);
  const out = new Float32Array(VAE_SCORE_SAMPLES * latentDim);
  for (let i = 0; i < out.length; i += 2) {
    // Box–Muller: two standard normals from two uniforms.
    const u = 1 - rng.next();
    const v = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    out[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function exportAutoencoder(model: AutoencoderExport): AutoencoderGraphs {
  return { encoder: encoderGraph(model), decoder: decoderGraph(model), anomaly: anomalyGraph(model) };
}

/** Encoder body from a scaled input; returns the latent code (VAE: the mean) and, for a VAE, the log-variance. */
function encode(
  g: OnnxGraphBuilder,
  model: AutoencoderExport,
  x: string,
): { latent: string; logVar?: string } {
  const lastWidth =
    model.encoder.length > 0
      ? (model.encoder[model.encoder.length - 1] as DenseLayer).bias.length
      : model.inputDim;
  const h = model.encoder.length > 0 ? g.dense('encoder', model.encoder, x, model.inputDim) : x;
  if (model.kind === 'ae') return { latent: h };
  if (!model.mean || !model.logVar) throw new Error('a VAE export needs its mean and logVar heads');
  return {
    latent: g.dense('z_mean_head', [model.mean], h, lastWidth),
    logVar: g.dense('z_log_var_head', [model.logVar], h, lastWidth),
  };
}

function encoderGraph(model: AutoencoderExport): Uint8Array {
  const g = new OnnxGraphBuilder(`aimass_${model.kind}_encoder`);
  const raw = g.input(AUTOENCODER_TENSORS.input, model.inputDim);
  const { latent, logVar } = encode(g, model, model.scaling ? g.scaleIn(raw, model.scaling) : raw);
  if (model.kind === 'vae' && logVar) {
    g.output(latent, AUTOENCODER_TENSORS.zMean, model.latentDim);
    g.output(logVar, AUTOENCODER_TENSORS.zLogVar, model.latentDim);
  } else {
    g.output(latent, AUTOENCODER_TENSORS.latent, model.latentDim);
  }
  return g.encode(`aimass ${model.kind} encoder: raw features to the latent code`);
}

function decoderGraph(model: AutoencoderExport): Uint8Array {
  const g = new OnnxGraphBuilder(`aimass_${model.kind}_decoder`);
  const z = g.input(AUTOENCODER_TENSORS.latent, model.latentDim);
  const out = g.dense('decoder', model.decoder, z, model.latentDim);
  g.output(
    model.scaling ? g.scaleOut(out, model.scaling) : out,
    AUTOENCODER_TENSORS.reconstruction,
    model.inputDim,
  );
  return g.encode(`aimass ${model.kind} decoder: latent code to reconstructed raw features`);
}

const Attr = onnx.AttributeProto.AttributeType;

function anomalyGraph(model: AutoencoderExport): Uint8Array {
  const g = new OnnxGraphBuilder(`aimass_${model.kind}_anomaly`);
  const raw = g.input(AUTOENCODER_TENSORS.input, model.inputDim);
  const x = model.scaling ? g.scaleIn(raw, model.scaling) : raw;
  const { latent, logVar } = encode(g, model, x);
  const recon = g.dense('decoder', model.decoder, latent, model.latentDim);
  const score =
    model.kind === 'vae' && logVar
      ? elboScore(g, model, x, latent, logVar)
      : mseScore(g, x, recon, reconstructionWeights(model));
  g.output(score, AUTOENCODER_TENSORS.score, undefined);
  g.output(
    model.scaling ? g.scaleOut(recon, model.scaling) : recon,
    AUTOENCODER_TENSORS.reconstruction,
    model.inputDim,
  );
  g.output(latent, AUTOENCODER_TENSORS.latent, model.latentDim);
  if (model.threshold !== undefined) g.flagAbove(score, model.threshold, AUTOENCODER_TENSORS.isAnomaly);
  const weighted = reconstructionWeights(model) !== undefined;
  return g.encode(
    model.kind === 'vae'
      ? `aimass vae anomaly scorer: score is the negative ELBO over scaled features${weighted ? ' under a Cauchy decoder with per-feature scales fitted on the training rows (less a constant)' : ''}, its reconstruction term averaged over ${VAE_SCORE_SAMPLES} fixed latent draws; is_anomaly is score > the training threshold`
      : `aimass ae anomaly scorer: score is the mean squared reconstruction error over scaled features${weighted ? ", each divided by that feature's error variance on the training rows" : ''}; is_anomaly is score > the training threshold`,
  );
}

function mseScore(g: OnnxGraphBuilder, x: string, recon: string, weights: Float32Array | undefined): string {
  const diff = g.op('Sub', [x, recon], 'score.diff');
  const squared = g.op('Mul', [diff, diff], 'score.squared');
  const terms = weights
    ? g.op('Mul', [squared, g.constant('score.weights', [weights.length], weights)], 'score.weighted')
    : squared;
  return g.op('ReduceMean', [terms], 'score.mean', [
    { name: 'axes', type: Attr.INTS, ints: [1] },
    { name: 'keepdims', type: Attr.INT, i: 0 },
  ]);
}

/**
 * −ELBO per row: (1/L) Σ_l rec(x, decoder(μ + σ ε_l)) + KL(N(μ, σ²) ‖ N(0, I)), rec being summed
 * over features: the squared error (mse; with outputVariance, the Cauchy term of
 * vaeReconstructionTerm instead) or binary cross-entropy (bce), as the training loss has it.
 */
function elboScore(
  g: OnnxGraphBuilder,
  model: AutoencoderExport,
  x: string,
  mean: string,
  logVar: string,
): string {
  const L = VAE_SCORE_SAMPLES;
  const d = model.inputDim;
  const k = model.latentDim;
  const sigma = g.op(
    'Exp',
    [g.op('Mul', [logVar, g.constant('elbo.half', [], Float32Array.of(0.5))], 'elbo.half_log_var')],
    'elbo.sigma',
  );
  const shape3 = g.int64Constant('elbo.latent_rows', [3], [-1, 1, k]);
  const noise = g.constant('elbo.noise', [L, k], vaeScoreNoise(k));
  // [batch, 1, k] + [batch, 1, k] · [L, k] → [batch, L, k] → [batch·L, k]
  const z3 = g.op(
    'Add',
    [
      g.op('Reshape', [mean, shape3], 'elbo.mean3'),
      g.op('Mul', [g.op('Reshape', [sigma, shape3], 'elbo.sigma3'), noise], 'elbo.spread'),
    ],
    'elbo.z3',
  );
  const z = g.op('Reshape', [z3, g.int64Constant('elbo.z_shape', [2], [-1, k])], 'elbo.z');
  const decoded = g.dense('elbo_decoder', model.decoder, z, k);
  const r = g.op('Reshape', [decoded, g.int64Constant('elbo.recon_shape', [3], [-1, L, d])], 'elbo.recon3');
  const x3 = g.op('Reshape', [x, g.int64Constant('elbo.x_shape', [3], [-1, 1, d])], 'elbo.x3');
  let elements: string;
  if (model.reconstructionLoss === 'bce') {
    const q = g.op(
      'Clip',
      [
        r,
        g.constant('elbo.clip_min', [], Float32Array.of(1e-7)),
        g.constant('elbo.clip_max', [], Float32Array.of(1 - 1e-7)),
      ],
      'elbo.q',
    );
    const one = g.constant('elbo.one', [], Float32Array.of(1));
    // −[x log q + (1 − x) log(1 − q)]
    elements = g.op(
      'Neg',
      [
        g.op(
          'Add',
          [
            g.op('Mul', [x3, g.op('Log', [q], 'elbo.log_q')], 'elbo.pos'),
            g.op(
              'Mul',
              [
                g.op('Sub', [one, x3], 'elbo.one_minus_x'),
                g.op('Log', [g.op('Sub', [one, q], 'elbo.one_minus_q')], 'elbo.log_one_minus_q'),
              ],
              'elbo.neg',
            ),
          ],
          'elbo.log_lik',
        ),
      ],
      'elbo.bce',
    );
  } else {
    const diff = g.op('Sub', [x3, r], 'elbo.diff');
    const squared = g.op('Mul', [diff, diff], 'elbo.squared');
    const weights = reconstructionWeights(model);
    // log(1 + e² / σ²) per element (see vaeReconstructionTerm); [batch, L, d] · [d]
    elements = weights
      ? g.op(
          'Log',
          [
            g.op(
              'Add',
              [
                g.op('Mul', [squared, g.constant('elbo.weights', [d], weights)], 'elbo.standardised'),
                g.constant('elbo.cauchy_one', [], Float32Array.of(1)),
              ],
              'elbo.one_plus_standardised',
            ),
          ],
          'elbo.cauchy',
        )
      : squared;
  }
  const perSample = g.op(
    'ReduceSum',
    [elements, g.int64Constant('elbo.feature_axis', [1], [2])],
    'elbo.rec',
    [{ name: 'keepdims', type: Attr.INT, i: 0 }],
  );
  const rec = g.op('ReduceMean', [perSample], 'elbo.rec_mean', [
    { name: 'axes', type: Attr.INTS, ints: [1] },
    { name: 'keepdims', type: Attr.INT, i: 0 },
  ]);
  // KL = −½ Σ (1 + logVar − μ² − σ²)
  const variance = g.op('Mul', [sigma, sigma], 'elbo.variance');
  const inner = g.op(
    'Sub',
    [
      g.op(
        'Sub',
        [
          g.op('Add', [logVar, g.constant('elbo.kl_one', [], Float32Array.of(1))], 'elbo.one_plus'),
          g.op('Mul', [mean, mean], 'elbo.mean_sq'),
        ],
        'elbo.kl_a',
      ),
      variance,
    ],
    'elbo.kl_inner',
  );
  const kl = g.op(
    'Mul',
    [
      g.op('ReduceSum', [inner, g.int64Constant('elbo.latent_axis', [1], [1])], 'elbo.kl_sum', [
        { name: 'keepdims', type: Attr.INT, i: 0 },
      ]),
      g.constant('elbo.minus_half', [], Float32Array.of(-0.5)),
    ],
    'elbo.kl',
  );
  return g.op('Add', [rec, kl], 'score.elbo');
}
