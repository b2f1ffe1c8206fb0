import { SeededRandom } from '@aimass/random';

/** A seeded sample from a known mixture (tests, demos, benchmarks): rows, the true means and which component drew each row. */
export interface SyntheticMixture {
  readonly data: Float64Array;
  readonly rows: number;
  readonly dims: number;
  readonly means: number[][];
  readonly labels: Int32Array;
}

/**
 * `rows` rows from components with the given means; each component's covariance is A Aᵀ for a
 * random A scaled by `spread` (correlated, not axis-aligned) or, with `axisAligned`, a diagonal
 * with standard deviations in [0.5, 1.5]·spread. Rows cycle through the components with `weights`.
 */
export function syntheticMixture(
  rows: number,
  means: number[][],
  options: { seed: number; spread?: number; axisAligned?: boolean; weights?: number[] },
): SyntheticMixture {
  const rng = new SeededRandom(options.seed);
  const random = (): number => rng.next();
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const dims = means[0]!.length;
  const spread = options.spread ?? 1;
  const mixing = means.map(() => {
    const a = new Float64Array(dims * dims);
    for (let i = 0; i < dims; i++) {
      for (let j = 0; j < dims; j++) {
        if (options.axisAligned) a[i * dims + j] = i === j ? spread * (0.5 + random()) : 0;
        else a[i * dims + j] = (spread * gauss()) / Math.sqrt(dims);
      }
    }
    return a;
  });
  const weights = options.weights ?? means.map(() => 1);
  const total = weights.reduce((s, w) => s + w, 0);
  const data = new Float64Array(rows * dims);
  const labels = new Int32Array(rows);
  for (let n = 0; n < rows; n++) {
    let u = random() * total;
    let k = 0;
    while (k < means.length - 1 && u >= weights[k]!) u -= weights[k++]!;
    labels[n] = k;
    const z = Array.from({ length: dims }, gauss);
    for (let i = 0; i < dims; i++) {
      let s = means[k]![i]!;
      for (let j = 0; j < dims; j++) s += mixing[k]![i * dims + j]! * z[j]!;
      data[n * dims + i] = s;
    }
  }
  return { data, rows, dims, means, labels };
}
