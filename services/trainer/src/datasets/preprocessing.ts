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
  const reference = columnStatistics(train, trainRows, features);
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
