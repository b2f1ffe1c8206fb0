/**
 * The metrics a spec may ask for. Each names the families that can compute it and whether it needs
 * anomaly labels in the dataset. Values are computed on the validation rows after every epoch.
 */
export type FamilyName = 'ae' | 'vae' | 'gan' | 'gmm';

export interface MetricDefinition {
  readonly families: readonly FamilyName[];
  readonly needsLabels: boolean;
  readonly description: string;
  /** Higher is better (for early stopping on this metric, and for tuners). */
  readonly higherIsBetter: boolean;
}

export const METRICS = {
  mse: {
    families: ['ae', 'vae'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'mean squared reconstruction error',
  },
  bce: {
    families: ['ae', 'vae'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'mean binary cross-entropy of the reconstruction',
  },
  elbo: {
    families: ['vae'],
    needsLabels: false,
    higherIsBetter: true,
    description: 'evidence lower bound per sample',
  },
  kl: {
    families: ['vae'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'KL(q(z|x) ‖ N(0, I)) per sample',
  },
  log_likelihood: {
    families: ['gmm'],
    needsLabels: false,
    higherIsBetter: true,
    description: 'mean log-likelihood per sample',
  },
  bic: {
    families: ['gmm'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'Bayesian information criterion',
  },
  aic: {
    families: ['gmm'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'Akaike information criterion',
  },
  auroc: {
    families: ['ae', 'vae', 'gmm'],
    needsLabels: true,
    higherIsBetter: true,
    description: 'area under the ROC curve of the anomaly score',
  },
  auprc: {
    families: ['ae', 'vae', 'gmm'],
    needsLabels: true,
    higherIsBetter: true,
    description: 'area under the precision-recall curve of the anomaly score',
  },
  generator_loss: {
    families: ['gan'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'generator loss −log D(G(z))',
  },
  discriminator_loss: {
    families: ['gan'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'discriminator cross-entropy on real and generated rows',
  },
  sample_quality: {
    families: ['gan'],
    needsLabels: false,
    higherIsBetter: false,
    description: 'diagonal Fréchet distance between generated and validation rows',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

export const DEFAULT_METRICS: Record<FamilyName, MetricName[]> = {
  ae: ['mse'],
  vae: ['elbo', 'kl', 'mse'],
  gan: ['generator_loss', 'discriminator_loss', 'sample_quality'],
  gmm: ['log_likelihood', 'bic', 'aic'],
};

/** Why `name` cannot be computed for this job, or undefined. `labelled` undefined: unknown until the data is read. */
export function metricProblem(
  name: string,
  family: FamilyName,
  labelled: boolean | undefined,
): string | undefined {
  const metric = (METRICS as Record<string, MetricDefinition>)[name];
  if (!metric) return `unknown metric "${name}"; known metrics are ${Object.keys(METRICS).join(', ')}`;
  if (!metric.families.includes(family))
    return `metric "${name}" does not apply to family ${family}; it applies to ${metric.families.join(', ')}`;
  if (metric.needsLabels && labelled === false)
    return `metric "${name}" needs anomaly labels, and this dataset has none (give label_column, or use a labelled built-in such as anomaly_blobs)`;
  return undefined;
}
