import type { DenseLayer } from '../dense/dense-spec.js';
import { type FeatureScaling, OnnxGraphBuilder } from './graph-builder.js';

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
}

export interface AutoencoderGraphs {
  /** x [batch, inputDim] → latent [batch, latentDim] (VAE: z_mean and z_log_var). */
  readonly encoder: Uint8Array;
  /** latent [batch, latentDim] → reconstruction [batch, inputDim]. */
  readonly decoder: Uint8Array;
  /** x → score [batch] (mean squared reconstruction error over scaled features), reconstruction, latent. */
  readonly anomaly: Uint8Array;
}

export const AUTOENCODER_TENSORS = {
  input: 'x',
  latent: 'latent',
  zMean: 'z_mean',
  zLogVar: 'z_log_var',
  reconstruction: 'reconstruction',
  score: 'score',
} as const;

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

function anomalyGraph(model: AutoencoderExport): Uint8Array {
  const g = new OnnxGraphBuilder(`aimass_${model.kind}_anomaly`);
  const raw = g.input(AUTOENCODER_TENSORS.input, model.inputDim);
  const x = model.scaling ? g.scaleIn(raw, model.scaling) : raw;
  const { latent } = encode(g, model, x);
  const recon = g.dense('decoder', model.decoder, latent, model.latentDim);
  const diff = g.op('Sub', [x, recon], 'score.diff');
  const squared = g.op('Mul', [diff, diff], 'score.squared');
  const Type = { INTS: 7, INT: 2 } as const;
  const score = g.op('ReduceMean', [squared], 'score.mean', [
    { name: 'axes', type: Type.INTS, ints: [1] },
    { name: 'keepdims', type: Type.INT, i: 0 },
  ]);
  g.output(score, AUTOENCODER_TENSORS.score, undefined);
  g.output(
    model.scaling ? g.scaleOut(recon, model.scaling) : recon,
    AUTOENCODER_TENSORS.reconstruction,
    model.inputDim,
  );
  g.output(latent, AUTOENCODER_TENSORS.latent, model.latentDim);
  return g.encode(
    `aimass ${model.kind} anomaly scorer: score is the mean squared reconstruction error over scaled features`,
  );
}
