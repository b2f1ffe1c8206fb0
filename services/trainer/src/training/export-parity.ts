import { type GmmModel, GMM_TENSORS, predictProba, scoreSamples } from '@aimass/gmm';
import {
  AUTOENCODER_TENSORS,
  type AutoencoderExport,
  type DenseLayer,
  denseForward,
  type FeatureScaling,
  GENERATOR_TENSORS,
  type GeneratorExport,
} from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { scoreAutoencoder } from './anomaly-scoring.js';

/**
 * A trained model must equal the served one. Before a version is registered, its exported graphs
 * score a sample of the training rows in onnxruntime, and every output is compared with the
 * trainer's own scoring of the same rows, computed here from the same weights with float64
 * accumulation: a graph that cancels catastrophically in float32, or wires a layer wrongly, fails
 * the job instead of reaching a user.
 *
 * An output passes when every value is within `atol · scale + rtol · |expected|`, scale being the
 * output's largest magnitude (at least 1): a relative bound, with an absolute floor near zero.
 * A flag output (`is_anomaly` = score > threshold) passes when it agrees with the trainer's flag on
 * every row whose score lies further from the threshold than that same tolerance; a row whose
 * score is within it may go either way, since float32 rounding can put it on either side.
 */
export const PARITY = { rows: 1000, rtol: 1e-3, atol: 1e-4 } as const;

/** One graph run: its input and the outputs it must reproduce. */
export interface ParityCase {
  readonly role: string;
  readonly inputName: string;
  readonly input: Float32Array;
  readonly rows: number;
  readonly width: number;
  readonly expected: Readonly<Record<string, Float64Array | Float32Array>>;
  /** Boolean outputs: served value = score > threshold, with the trainer's scores. */
  readonly flags?: Readonly<Record<string, FlagExpectation>>;
}

export interface FlagExpectation {
  readonly score: Float64Array | Float32Array;
  readonly threshold: number;
}

export interface ParityResult {
  readonly role: string;
  readonly output: string;
  readonly maxAbsDiff: number;
  /** The largest |served − expected| / allowed over the values: at most 1 to pass. */
  readonly worstRatio: number;
  readonly worstIndex: number;
  readonly passed: boolean;
  /** Flag outputs: rows whose served flag disagrees with the trainer's (those near the threshold included). */
  readonly disagreements?: number;
}

/** What a network family exports: the weights its graphs are built from. */
export type NetworkExport =
  | { readonly kind: 'autoencoder'; readonly model: AutoencoderExport }
  | { readonly kind: 'generator'; readonly model: GeneratorExport };

/** The exported network did not reproduce the trainer's scoring; the message names the output and by how much. */
export class ExportParityError extends Error {
  override readonly name = 'ExportParityError';
}

/** Rows [0, rows) of scaled training rows, back in raw feature space (what a served graph takes). */
export function rawRows(scaled: Float32Array, rows: number, scaling: FeatureScaling): Float32Array {
  return scaleOut(scaled.subarray(0, rows * scaling.scale.length), scaling);
}

/** Cases for every graph of an AE/VAE (anomaly, encoder, decoder) or a GAN generator (fixed noise). */
export function networkParityCases(network: NetworkExport, raw: Float32Array, rows: number): ParityCase[] {
  if (network.kind === 'generator') return [generatorCase(network.model, rows)];
  const m = network.model;
  const x = m.scaling ? scaleIn(raw, m.scaling) : Float32Array.from(raw);
  const { score, reconstruction: recon, latent, logVar } = scoreAutoencoder(m, x, rows);
  const reconstruction = m.scaling ? scaleOut(recon, m.scaling) : recon;
  const T = AUTOENCODER_TENSORS;
  const encoderOutputs: Record<string, Float32Array> = logVar
    ? { [T.zMean]: latent, [T.zLogVar]: logVar }
    : { [T.latent]: latent };
  const input = { inputName: T.input, input: raw, rows, width: m.inputDim };
  return [
    {
      role: 'anomaly',
      ...input,
      expected: { [T.score]: score, [T.reconstruction]: reconstruction, [T.latent]: latent },
      ...(m.threshold !== undefined ? { flags: { [T.isAnomaly]: { score, threshold: m.threshold } } } : {}),
    },
    { role: 'encoder', ...input, expected: encoderOutputs },
    {
      role: 'decoder',
      inputName: T.latent,
      input: latent,
      rows,
      width: m.latentDim,
      expected: { [T.reconstruction]: reconstruction },
    },
  ];
}

/** The mixture graph's log-likelihood and responsibilities against float64 scoring. */
export function mixtureParityCase(
  model: GmmModel,
  raw: Float32Array,
  rows: number,
  threshold?: number,
): ParityCase {
  const x = Float64Array.from(raw);
  const ll = scoreSamples(model, x, rows);
  const score = ll.map((v) => -v);
  return {
    role: 'mixture',
    inputName: GMM_TENSORS.input,
    input: raw,
    rows,
    width: model.dims,
    expected: {
      [GMM_TENSORS.logLikelihood]: ll,
      [GMM_TENSORS.responsibilities]: predictProba(model, x, rows),
      [GMM_TENSORS.score]: score,
    },
    ...(threshold !== undefined ? { flags: { [GMM_TENSORS.isAnomaly]: { score, threshold } } } : {}),
  };
}

/** Compares each case's served outputs with what it expects. */
export function compareParity(
  cases: readonly ParityCase[],
  served: Readonly<Record<string, Readonly<Record<string, Float32Array>>>>,
): ParityResult[] {
  return cases.flatMap((c) => [
    ...Object.entries(c.expected).map(([output, expected]) => {
      const got = served[c.role]?.[output];
      if (!got || got.length !== expected.length)
        return {
          role: c.role,
          output,
          maxAbsDiff: Infinity,
          worstRatio: Infinity,
          worstIndex: -1,
          passed: false,
        };
      let scale = 1;
      for (const v of expected) scale = Math.max(scale, Math.abs(v));
      let maxAbsDiff = 0;
      let worstRatio = 0;
      let worstIndex = 0;
      for (let i = 0; i < expected.length; i++) {
        const e = expected[i] as number;
        const diff = Math.abs((got[i] as number) - e);
        const ratio = Number.isNaN(diff)
          ? Infinity
          : diff / (PARITY.atol * scale + PARITY.rtol * Math.abs(e));
        maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(diff) ? Infinity : diff);
        if (ratio > worstRatio) {
          worstRatio = ratio;
          worstIndex = i;
        }
      }
      return { role: c.role, output, maxAbsDiff, worstRatio, worstIndex, passed: worstRatio <= 1 };
    }),
    ...Object.entries(c.flags ?? {}).map(([output, flag]) =>
      compareFlag(c.role, output, flag, served[c.role]?.[output]),
    ),
  ]);
}

/**
 * A served flag against score > threshold. Each disagreeing row's ratio is its score's distance
 * from the threshold over the tolerance: above 1, the served model put a clear-cut row on the
 * wrong side.
 */
function compareFlag(
  role: string,
  output: string,
  flag: FlagExpectation,
  got: Float32Array | undefined,
): ParityResult {
  if (!got || got.length !== flag.score.length)
    return { role, output, maxAbsDiff: Infinity, worstRatio: Infinity, worstIndex: -1, passed: false };
  let scale = 1;
  for (const v of flag.score) scale = Math.max(scale, Math.abs(v));
  const allowed = PARITY.atol * scale + PARITY.rtol * Math.abs(flag.threshold);
  let disagreements = 0;
  let worstRatio = 0;
  let worstIndex = 0;
  for (let i = 0; i < got.length; i++) {
    const s = flag.score[i] as number;
    const expected = s > flag.threshold;
    const served = (got[i] as number) !== 0;
    if (served === expected) continue;
    disagreements++;
    const ratio = Number.isNaN(s) ? Infinity : Math.abs(s - flag.threshold) / allowed;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstIndex = i;
    }
  }
  return {
    role,
    output,
    maxAbsDiff: disagreements > 0 ? 1 : 0,
    worstRatio,
    worstIndex,
    passed: worstRatio <= 1,
    disagreements,
  };
}

/** The reason a job fails with: every output that disagreed, and by how much. */
export function parityFailure(
  results: readonly ParityResult[],
  cases: readonly ParityCase[],
): string | undefined {
  const failed = results.filter((r) => !r.passed);
  if (failed.length === 0) return undefined;
  const lines = failed.map((r) => {
    const c = cases.find((x) => x.role === r.role);
    const flag = c?.flags?.[r.output];
    if (flag && r.disagreements !== undefined)
      return `${r.role}.${r.output} disagrees with score > threshold ${flag.threshold.toPrecision(6)} on ${r.disagreements} rows, the worst at sample row ${r.worstIndex + 1} with a score ${r.worstRatio.toPrecision(3)}× the tolerance away from the threshold`;
    const width = c?.expected[r.output] ? c.expected[r.output]!.length / c.rows : 1;
    const row = Math.floor(r.worstIndex / Math.max(1, width)) + 1;
    return `${r.role}.${r.output} differs by up to ${r.maxAbsDiff.toPrecision(3)} (${r.worstRatio.toPrecision(3)}× the tolerance, worst at sample row ${row})`;
  });
  return `the exported ONNX model does not reproduce the trained one on ${cases[0]?.rows ?? 0} training rows (tolerance rtol ${PARITY.rtol}, atol ${PARITY.atol} × the output's scale): ${lines.join('; ')}; nothing was registered`;
}

function generatorCase(m: GeneratorExport, rows: number): ParityCase {
  const noise = new Float32Array(rows * m.noiseDim);
  const rng = new SeededRandom(0x9a51);
  for (let i = 0; i < noise.length; i += 2) {
    // Box–Muller: two standard normals from two uniforms.
    const u = 1 - rng.next();
    const v = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    noise[i] = radius * Math.cos(2 * Math.PI * v);
    if (i + 1 < noise.length) noise[i + 1] = radius * Math.sin(2 * Math.PI * v);
  }
  const out = forward(m.generator, noise, rows, m.noiseDim);
  return {
    role: 'generator',
    inputName: GENERATOR_TENSORS.noise,
    input: noise,
    rows,
    width: m.noiseDim,
    expected: { [GENERATOR_TENSORS.sample]: m.scaling ? scaleOut(out, m.scaling) : out },
  };
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

function scaleIn(raw: Float32Array, s: FeatureScaling): Float32Array {
  const w = s.scale.length;
  return raw.map((v, i) => (v - (s.offset[i % w] as number)) * (s.scale[i % w] as number));
}

function scaleOut(scaled: Float32Array, s: FeatureScaling): Float32Array {
  const w = s.scale.length;
  return scaled.map((v, i) => v / (s.scale[i % w] as number) + (s.offset[i % w] as number));
}
