import { InvalidArgumentError } from '@aimass/errors';
import { DATASET_FORMATS } from '@aimass/datasets';
import { z } from 'zod';
import { BUILTIN_DATASET_CATALOGUE, type BuiltinDatasetInfo } from './builtin-catalogue.js';
import { METRICS, metricProblem } from './training-metrics.js';
import { parseInput } from '../validate.js';

/**
 * What a training job asks for. Every field has a default except the family and the dataset. It is a
 * contract: the trainer validates submitted jobs with it, and the tuner validates a study's job
 * template with the same schema before any trial runs.
 */

export const FAMILIES = ['ae', 'vae', 'gan', 'gmm'] as const;
export type Family = (typeof FAMILIES)[number];

const width = z.number().int().positive().max(16_384);
const activation = z.enum(['relu', 'leaky_relu', 'tanh', 'sigmoid', 'linear']);

const ArchitectureSchema = z.strictObject({
  hidden: z.array(width).max(8, 'at most 8 hidden layers').default([64]),
  latent_dim: width.default(4),
  activation: activation.default('relu'),
  /**
   * Defaults to what the scaled features can take: sigmoid for min-max scaled features or a bce
   * loss (values in [0, 1]), linear for standard, robust or no scaling (any real value).
   */
  output_activation: activation.optional(),
  reconstruction_loss: z.enum(['mse', 'bce']).default('mse'),
  /** gmm only: scikit-learn's n_components and default (one Gaussian: a Mahalanobis-distance scorer). */
  components: z.number().int().min(1).max(256).default(1),
  covariance: z.enum(['full', 'tied', 'diag', 'spherical']).default('full'),
  /** EM restarts, the best kept (scikit-learn's n_init and default). */
  n_init: z.number().int().min(1).max(32).default(1),
  /** Added to every variance so no component collapses (scikit-learn's reg_covar and default). */
  reg_covar: z.number().nonnegative().max(1e6).default(1e-6),
  /** EM stops when the mean log-likelihood changes by less than this (scikit-learn's tol and default). */
  tol: z.number().positive().max(1e6).default(1e-3),
  /** kmeans: k-means++ seeds refined by Lloyd rounds (scikit-learn's default); k-means++: the seeds alone; random: random responsibilities. */
  init: z.enum(['kmeans', 'k-means++', 'random']).default('kmeans'),
});

const BuiltinDatasetSchema = z.strictObject({
  builtin: z.enum(Object.keys(BUILTIN_DATASET_CATALOGUE) as [string, ...string[]], {
    error: `builtin must be one of ${Object.keys(BUILTIN_DATASET_CATALOGUE).join(', ')}`,
  }),
  rows: z.number().int().min(8).max(70_000).default(1000),
  /** Synthetic sets only; MNIST always has 784. */
  features: z.number().int().min(1).max(4096).optional(),
  seed: z.number().int().default(1),
});

const S3DatasetSchema = z.strictObject({
  /** Object key inside the artifact bucket. */
  s3_key: z.string().min(1).max(1024),
  format: z.enum(DATASET_FORMATS),
  /** CSV/JSON: the column (name or index) holding 0/1 anomaly labels, used by AUROC/AUPRC and not trained on. */
  label_column: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
  /** CSV: whether the first line names the columns. */
  header: z.boolean().default(true),
});

/** A dataset pushed to the registry (`data push`); without a version, the latest when the job is submitted. */
const RegisteredDatasetSchema = z.strictObject({
  name: z.string().min(1).max(200),
  version: z.number().int().positive().optional(),
  /** The column (name or index) holding 0/1 anomaly labels, used by AUROC/AUPRC and not trained on. */
  label_column: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
});

/** Either kind, told apart by its key, so the errors name the fields of the kind that was meant. */
export const DatasetSchema = z
  .unknown()
  .transform(
    (
      value,
      ctx,
    ):
      | z.output<typeof BuiltinDatasetSchema>
      | z.output<typeof S3DatasetSchema>
      | z.output<typeof RegisteredDatasetSchema> => {
      const kind =
        typeof value === 'object' && value !== null
          ? 'builtin' in value
            ? BuiltinDatasetSchema
            : 's3_key' in value
              ? S3DatasetSchema
              : 'name' in value
                ? RegisteredDatasetSchema
                : undefined
          : undefined;
      if (!kind) {
        ctx.addIssue({
          code: 'custom',
          message:
            'dataset must be {"name": DATASET} (pushed with data push), {"builtin": NAME, ...} or {"s3_key": KEY, "format": "csv"|"npy"|"json"}',
        });
        return z.NEVER;
      }
      const parsed = kind.safeParse(value);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as (string | number)[] });
      return z.NEVER;
    },
  );

const PreprocessingSchema = z.strictObject({
  /** standard: (x − mean) / std; robust: (x − median) / IQR; minmax: to [0, 1]; none. Fitted on the training rows and folded into the exported graphs. */
  scaling: z.enum(['none', 'minmax', 'standard', 'robust']).default('standard'),
  validation_split: z.number().min(0).max(0.5).default(0.2),
  seed: z.number().int().default(42),
});

const ScheduleSchema = z.strictObject({
  type: z.enum(['constant', 'exponential', 'step']).default('constant'),
  /** exponential: lr · rate^epoch; step: lr · rate^floor(epoch / step_epochs). */
  rate: z.number().positive().max(1).default(0.95),
  step_epochs: z.number().int().positive().default(10),
});

const OptimizerSchema = z.strictObject({
  name: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
  learning_rate: z.number().positive().max(10).default(0.001),
  schedule: ScheduleSchema.default({ type: 'constant', rate: 0.95, step_epochs: 10 }),
  /**
   * The batch size `learning_rate` was chosen for. When the batch in use differs, the rate is scaled
   * by `lr_scaling`. Defaults: 64 when the backend picks the batch size, else the batch size named.
   */
  reference_batch_size: z.number().int().min(1).max(65_536).optional(),
  /** sqrt suits Adam and RMSprop, linear suits SGD (Goyal et al.); none keeps the rate as given. */
  lr_scaling: z.enum(['none', 'sqrt', 'linear']).default('sqrt'),
});

/** On by default; `"early_stopping": false` trains every epoch. */
const EarlyStoppingSchema = z.strictObject({
  /** Stop after this many epochs without a validation-loss improvement of more than min_delta. */
  patience: z.number().int().positive().max(1000).default(10),
  min_delta: z.number().nonnegative().default(0),
  /** Export the weights of the epoch with the best validation loss, not the last epoch's. */
  restore_best: z.boolean().default(true),
});

export const DEFAULT_THRESHOLD_PERCENTILE = 99;

export const JobSpecSchema = z
  .strictObject({
    family: z.enum(FAMILIES, { error: `family must be one of ${FAMILIES.join(', ')}` }),
    /** The trainer pool that runs it. */
    pool: z.enum(['cpu', 'gpu']).default('cpu'),
    architecture: ArchitectureSchema.prefault({}),
    dataset: DatasetSchema,
    preprocessing: PreprocessingSchema.prefault({}),
    optimizer: OptimizerSchema.prefault({}),
    epochs: z.number().int().min(1, 'epochs must be at least 1').max(100_000),
    /** Rows per step; when absent the node's backend chooses (64 on a CPU, 1024 on a GPU). */
    batch_size: z.number().int().min(1).max(65_536).optional(),
    early_stopping: z
      .union([z.literal(false), EarlyStoppingSchema], {
        error: 'early_stopping must be false or {"patience": N, "min_delta": D, "restore_best": B}',
      })
      .prefault({}),
    /**
     * The anomaly threshold is this percentile of the training rows' scores; the exported scorer's
     * `is_anomaly` is score > threshold (AE, VAE, GMM).
     */
    threshold_percentile: z
      .number()
      .gt(0, 'threshold_percentile must be above 0')
      .lt(100, 'threshold_percentile must be below 100')
      .default(DEFAULT_THRESHOLD_PERCENTILE),
    metrics: z
      .array(z.enum(Object.keys(METRICS) as [string, ...string[]]))
      .max(16)
      .default([]),
    /** Checkpoint after every N epochs (and after the last). */
    checkpoint_every: z.number().int().positive().max(100_000).default(1),
    /** Name of the registered model; defaults to `<family>-<job id>`. */
    model_name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,100}$/, "model_name may contain only letters, digits, '-' and '_'")
      .optional(),
    /** Set by the tuner on a trial's job: the registered version's lineage names the study and trial. */
    study: z
      .strictObject({
        study_id: z.string().min(1).max(128),
        trial: z.number().int().nonnegative(),
      })
      .optional(),
    /** Alias pointed at the registered version. */
    alias: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/)
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const problem = crossFieldProblem(spec);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  })
  .transform((spec) => ({
    ...spec,
    architecture: {
      ...spec.architecture,
      output_activation: spec.architecture.output_activation ?? defaultOutputActivation(spec),
    },
  }));

/** A sigmoid output cannot reach standardised values below 0 or above 1; a linear one can. */
function defaultOutputActivation(spec: {
  preprocessing: { scaling: string };
  architecture: { reconstruction_loss: string };
}): 'sigmoid' | 'linear' {
  return spec.preprocessing.scaling === 'minmax' || spec.architecture.reconstruction_loss === 'bce'
    ? 'sigmoid'
    : 'linear';
}

export type JobSpec = z.output<typeof JobSpecSchema>;
export type DatasetSpec = z.output<typeof DatasetSchema>;

/** Validates a spec; the message names every bad field (`invalid training spec: epochs: ...`). */
export function validateSpec(spec: unknown): JobSpec {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    throw new InvalidArgumentError('invalid training spec: it must be a JSON object');
  return parseInput(JobSpecSchema, spec, 'training spec');
}

/** Checks that need more than one field; dataset widths only known after loading are checked by the run. */
function crossFieldProblem(
  spec: Omit<z.output<typeof JobSpecSchema>, 'architecture'> & {
    architecture: Omit<z.output<typeof JobSpecSchema>['architecture'], 'output_activation'>;
  },
): { message: string; path: (string | number)[] } | undefined {
  for (const name of spec.metrics) {
    const problem = metricProblem(name, spec.family, datasetHasLabels(spec.dataset));
    if (problem) return { message: problem, path: ['metrics'] };
  }
  const features = knownFeatureCount(spec.dataset);
  if (
    features !== undefined &&
    spec.family !== 'gmm' &&
    spec.family !== 'gan' &&
    spec.architecture.latent_dim >= features
  ) {
    return {
      message: `latent_dim ${spec.architecture.latent_dim} must be smaller than the ${features} input features`,
      path: ['architecture', 'latent_dim'],
    };
  }
  if (
    spec.family === 'gmm' &&
    spec.architecture.components > Math.max(1, 'rows' in spec.dataset ? spec.dataset.rows : Infinity)
  ) {
    return {
      message: 'a mixture needs at least as many rows as components',
      path: ['architecture', 'components'],
    };
  }
  return undefined;
}

export function knownFeatureCount(dataset: DatasetSpec): number | undefined {
  if (!('builtin' in dataset)) return undefined;
  return (BUILTIN_DATASET_CATALOGUE as Record<string, BuiltinDatasetInfo>)[dataset.builtin]?.features(
    dataset.features,
  );
}

/** Whether the dataset carries anomaly labels; undefined when only loading it can tell. */
export function datasetHasLabels(dataset: DatasetSpec): boolean | undefined {
  if ('builtin' in dataset)
    return (
      (BUILTIN_DATASET_CATALOGUE as Record<string, BuiltinDatasetInfo>)[dataset.builtin]?.labelled ?? false
    );
  return dataset.label_column !== undefined;
}
