import type { Dataset } from '@aimass/datasets';
import { FailedPreconditionError } from '@aimass/errors';
import { SeededRandom } from '@aimass/random';
import type { ReferenceStatistics } from '../dtos/registry.dto.js';

/** Rows a conversion runs on, row-major float32, and where they came from (shown to the caller). */
export interface CalibrationRows {
  readonly values: Float32Array;
  readonly rows: number;
  readonly source: string;
}

const STATISTICS_SEED = 0xc0ffee;

/** The first `limit` rows of a dataset whose width must be the model input's. */
export function rowsFromDataset(
  dataset: Dataset,
  label: string,
  features: number,
  input: string,
  limit: number,
): CalibrationRows {
  if (dataset.features !== features)
    throw new FailedPreconditionError(
      `${label} has ${dataset.features} feature columns but input "${input}" takes ${features}; name a dataset with the model's features`,
    );
  const rows = Math.min(dataset.rows, limit);
  return { values: dataset.values.slice(0, rows * features), rows, source: label };
}

/**
 * `count` rows drawn from the reference statistics: each feature normal with its mean and stddev,
 * clipped to its min..max, from a fixed seed so one version always gets the same rows.
 */
export function rowsFromStatistics(
  statistics: ReferenceStatistics,
  features: number,
  input: string,
  count: number,
): CalibrationRows {
  if (statistics.features.length !== features)
    throw new FailedPreconditionError(
      `the reference statistics describe ${statistics.features.length} features but input "${input}" takes ${features}; name a calibration dataset instead`,
    );
  const rng = new SeededRandom(STATISTICS_SEED);
  const values = new Float32Array(count * features);
  for (let r = 0; r < count; r++) {
    for (let f = 0; f < features; f++) {
      const { mean, stddev, min, max } = statistics.features[f]!;
      // Box–Muller.
      const normal = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      const value = mean + stddev * normal;
      values[r * features + f] = min < max ? Math.min(max, Math.max(min, value)) : value;
    }
  }
  return { values, rows: count, source: 'reference statistics' };
}
