import { type FeatureScaling } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { columnStatistics, type Dataset, type ReferenceStatistics } from '@aimass/datasets';

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

/**
 * standard: (x − mean) / std; robust: (x − median) / IQR, which outliers among the training rows
 * barely move; minmax: (x − min) / (max − min), which one outlier squashes; none: as is. A column
 * with no spread (IQR, then std, below 1e-12) is only centred.
 */
export type ScalingKind = 'none' | 'minmax' | 'standard' | 'robust';

export interface PreprocessingOptions {
  readonly scaling: ScalingKind;
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
  const reference = columnStatistics(train, trainRows, features);
  const scaling =
    options.scaling === 'robust'
      ? robustScaling(train, trainRows, features, reference)
      : fitScaling(reference, options.scaling);
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

/** Per column: offset the median, scale 1 / IQR (75th − 25th percentile, interpolated as numpy does). */
export function robustScaling(
  rows: Float32Array,
  count: number,
  features: number,
  stats: ReferenceStatistics,
): FeatureScaling {
  const offset = new Float32Array(features);
  const scale = new Float32Array(features);
  const column = new Float64Array(count);
  for (let f = 0; f < features; f++) {
    for (let r = 0; r < count; r++) column[r] = rows[r * features + f] as number;
    column.sort();
    const iqr = percentileOfSorted(column, 75) - percentileOfSorted(column, 25);
    const std = stats.std[f] as number;
    offset[f] = count > 0 ? percentileOfSorted(column, 50) : 0;
    scale[f] = iqr > 1e-12 ? 1 / iqr : std > 1e-12 ? 1 / std : 1;
  }
  return { offset, scale };
}

/** The q-th percentile (0..100) of ascending values, linearly interpolated between ranks (numpy's default). */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const at = (q / 100) * (n - 1);
  const lo = Math.floor(at);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + (at - lo) * ((sorted[hi] as number) - a);
}

function fitScaling(stats: ReferenceStatistics, kind: Exclude<ScalingKind, 'robust'>): FeatureScaling {
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
