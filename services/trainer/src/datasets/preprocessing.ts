import { type FeatureScaling } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import type { Dataset } from './dataset.js';

export interface PreparedData {
  readonly features: number;
  /** Scaled training rows, row-major. */
  readonly train: Float32Array;
  readonly trainRows: number;
  readonly validation: Float32Array;
  readonly validationRows: number;
  readonly validationLabels?: Uint8Array;
  /** Raw → scaled, fitted on the training rows; folded into the exported graphs. */
  readonly scaling: FeatureScaling;
  /** Of the raw training rows: what drift is measured against. */
  readonly reference: ReferenceStatistics;
}

export interface ReferenceStatistics {
  readonly count: number;
  readonly mean: number[];
  readonly std: number[];
  readonly min: number[];
  readonly max: number[];
  /** Per feature: HISTOGRAM_BINS equal-width bins over [min, max]. */
  readonly histograms: Array<{ edges: number[]; counts: number[] }>;
}

export const HISTOGRAM_BINS = 10;

export interface PreprocessingOptions {
  readonly scaling: 'none' | 'minmax' | 'standard';
  readonly validationSplit: number;
  readonly seed: number;
}

/** Seeded shuffle, train/validation split, scaling fitted on the training part only. */
export function prepare(dataset: Dataset, options: PreprocessingOptions): PreparedData {
  const { rows, features } = dataset;
  const order = new SeededRandom(options.seed).permutation(rows);
  const validationRows =
    options.validationSplit > 0 ? Math.max(1, Math.floor(rows * options.validationSplit)) : 0;
  const trainRows = rows - validationRows;
  const pick = (from: number, count: number) => {
    const out = new Float32Array(count * features);
    for (let i = 0; i < count; i++) {
      const r = order[from + i] as number;
      out.set(dataset.values.subarray(r * features, (r + 1) * features), i * features);
    }
    return out;
  };
  const train = pick(0, trainRows);
  const validation = pick(trainRows, validationRows);
  const reference = statistics(train, trainRows, features);
  const scaling = fitScaling(reference, options.scaling);
  applyScaling(train, scaling);
  applyScaling(validation, scaling);
  const labels = dataset.labels;
  return {
    features,
    train,
    trainRows,
    validation,
    validationRows,
    ...(labels
      ? {
          validationLabels: Uint8Array.from(
            { length: validationRows },
            (_, i) => labels[order[trainRows + i] as number] as number,
          ),
        }
      : {}),
    scaling,
    reference,
  };
}

export function statistics(values: Float32Array, rows: number, features: number): ReferenceStatistics {
  const mean = new Array<number>(features).fill(0);
  const sq = new Array<number>(features).fill(0);
  const min = new Array<number>(features).fill(Infinity);
  const max = new Array<number>(features).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const v = values[r * features + f] as number;
      mean[f] = (mean[f] as number) + v;
      sq[f] = (sq[f] as number) + v * v;
      if (v < (min[f] as number)) min[f] = v;
      if (v > (max[f] as number)) max[f] = v;
    }
  }
  const std = mean.map((s, f) => {
    const m = s / rows;
    return Math.sqrt(Math.max(0, (sq[f] as number) / rows - m * m));
  });
  const histograms = min.map((lo, f) => {
    const hi = max[f] as number;
    const width = (hi - lo) / HISTOGRAM_BINS;
    return {
      edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) =>
        i === HISTOGRAM_BINS ? hi : lo + i * width,
      ),
      counts: new Array<number>(HISTOGRAM_BINS).fill(0),
    };
  });
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const h = histograms[f] as { edges: number[]; counts: number[] };
      const lo = min[f] as number;
      const span = (max[f] as number) - lo;
      const bin =
        span > 0
          ? Math.min(
              HISTOGRAM_BINS - 1,
              Math.floor((((values[r * features + f] as number) - lo) / span) * HISTOGRAM_BINS),
            )
          : 0;
      h.counts[bin] = (h.counts[bin] as number) + 1;
    }
  }
  return { count: rows, mean: mean.map((s) => s / rows), std, min, max, histograms };
}

function fitScaling(stats: ReferenceStatistics, kind: PreprocessingOptions['scaling']): FeatureScaling {
  const n = stats.mean.length;
  if (kind === 'none') return { offset: new Float32Array(n), scale: new Float32Array(n).fill(1) };
  if (kind === 'minmax') {
    return {
      offset: Float32Array.from(stats.min),
      scale: Float32Array.from(stats.max, (hi, f) =>
        hi - (stats.min[f] as number) > 1e-12 ? 1 / (hi - (stats.min[f] as number)) : 1,
      ),
    };
  }
  return {
    offset: Float32Array.from(stats.mean),
    scale: Float32Array.from(stats.std, (s) => (s > 1e-12 ? 1 / s : 1)),
  };
}

function applyScaling(values: Float32Array, scaling: FeatureScaling): void {
  const n = scaling.offset.length;
  // Math.fround matches the FP32 Sub then Mul of the exported graph.
  for (let i = 0; i < values.length; i++)
    values[i] = Math.fround(
      Math.fround((values[i] as number) - (scaling.offset[i % n] as number)) *
        (scaling.scale[i % n] as number),
    );
}
