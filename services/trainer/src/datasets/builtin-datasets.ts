import { SeededRandom } from '@aimass/random';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { type Dataset, DatasetError } from '@aimass/datasets';
import { BUILTIN_DATASET_CATALOGUE, type BuiltinDatasetInfo } from '@aimass/contracts';

/** A catalogue entry (the job-spec contract) plus how its rows are made. */
export interface BuiltinDataset extends BuiltinDatasetInfo {
  generate(rows: number, features: number, seed: number): { values: Float32Array; labels?: Uint8Array };
}

const MNIST_DIGITS = 10_000;

/** Built-in datasets, by the name a spec gives in `dataset.builtin`. */
export const BUILTIN_DATASETS: Record<string, BuiltinDataset> = {
  // Each entry spreads its catalogue entry, so the description, labels and widths are stated once.
  mnist: {
    ...BUILTIN_DATASET_CATALOGUE.mnist,
    generate: (rows, _features, seed) => {
      if (rows > MNIST_DIGITS)
        throw new DatasetError(
          `mnist has ${MNIST_DIGITS} digits; ask for at most that many rows, not ${rows}`,
        );
      const mnist = createRequire(import.meta.url)('mnist') as Record<
        number,
        { set(start: number, end: number): Array<{ input: number[] }> }
      >;
      // The package's own set() shuffles with Math.random, so the same spec would train on rows in
      // another order each run: take each digit's first rows/10 in a fixed order (the digits set()
      // picks) and order them by our own seed, so a job is reproducible from its spec.
      const perDigit = Math.max(1, Math.floor(rows / 10));
      const digits = Array.from({ length: 10 }, (_, d) => mnist[d]!.set(0, perDigit - 1)).flat();
      const order = new SeededRandom(seed).permutation(digits.length);
      const values = new Float32Array(rows * 784);
      order.forEach((from, to) => values.set((digits[from] as { input: number[] }).input, to * 784));
      return { values };
    },
  },
  gaussian_blobs: {
    ...BUILTIN_DATASET_CATALOGUE.gaussian_blobs,
    generate: (rows, features, seed) => ({ values: blobs(rows, features, 3, seed).values }),
  },
  anomaly_blobs: {
    ...BUILTIN_DATASET_CATALOGUE.anomaly_blobs,
    generate: (rows, features, seed) => {
      const rng = new SeededRandom(seed);
      const values = new Float32Array(rows * features);
      const labels = new Uint8Array(rows);
      for (let r = 0; r < rows; r++) {
        const outlier = rng.next() < 0.05;
        labels[r] = outlier ? 1 : 0;
        for (let f = 0; f < features; f++)
          values[r * features + f] = outlier ? rng.next() * 12 - 6 : gaussian(rng) * 0.5;
      }
      return { values, labels };
    },
  },
  sine_waves: {
    ...BUILTIN_DATASET_CATALOGUE.sine_waves,
    generate: (rows, features, seed) => {
      const rng = new SeededRandom(seed);
      const values = new Float32Array(rows * features);
      for (let r = 0; r < rows; r++) {
        const phase = rng.next() * 2 * Math.PI;
        const freq = 0.5 + rng.next();
        for (let f = 0; f < features; f++)
          values[r * features + f] =
            Math.sin(phase + (freq * 2 * Math.PI * f) / features) + gaussian(rng) * 0.05;
      }
      return { values };
    },
  },
};

export function loadBuiltin(
  name: string,
  rows: number,
  requestedFeatures: number | undefined,
  seed: number,
): Dataset {
  const builtin = BUILTIN_DATASETS[name];
  if (!builtin)
    throw new DatasetError(
      `no built-in dataset "${name}"; there are ${Object.keys(BUILTIN_DATASETS).join(', ')}`,
    );
  const features = builtin.features(requestedFeatures);
  const { values, labels } = builtin.generate(rows, features, seed);
  const digest = createHash('sha256')
    .update(Buffer.from(values.buffer, values.byteOffset, values.byteLength))
    .digest('hex');
  return { rows, features, values, ...(labels ? { labels } : {}), digest, description: `builtin:${name}` };
}

/** k blobs with centres in [-5, 5] and unit variance. */
export function blobs(
  rows: number,
  features: number,
  k: number,
  seed: number,
): { values: Float32Array; centres: Float32Array } {
  const rng = new SeededRandom(seed);
  const centres = Float32Array.from({ length: k * features }, () => rng.next() * 10 - 5);
  const values = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(rng.next() * k);
    for (let f = 0; f < features; f++)
      values[r * features + f] = (centres[c * features + f] as number) + gaussian(rng);
  }
  return { values, centres };
}

function gaussian(rng: SeededRandom): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
