import { z } from 'zod';
import { ARTIFACT_FORMATS } from './artifact-formats.js';

/** Latency histogram bounds (ms) shared by inference summaries and the monitor. */
export const LATENCY_BUCKETS_MS = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
] as const;

const modelName = z.string().min(1).max(128);
const tensorSpec = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });
export const SignatureSchema = z.object({ inputs: z.array(tensorSpec), outputs: z.array(tensorSpec) });

const versionCreated = z.object({
  model: modelName,
  version: z.number().int().positive(),
  format: z.enum(ARTIFACT_FORMATS),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size_bytes: z.number().int().nonnegative(),
  artifact_key: z.string().min(1),
  signature: SignatureSchema,
});

const aliasMoved = z.object({
  model: modelName,
  alias: z.string().min(1),
  /** 0 when the alias was deleted. */
  version: z.number().int().nonnegative(),
  /** 0 when the alias is new. */
  previous_version: z.number().int().nonnegative(),
});

const modelCreated = z.object({ model: modelName, description: z.string() });

/** The fields an UpdateModel changed, with their new values (a model card is announced by length only). */
const modelUpdated = z.object({
  model: modelName,
  fields: z.array(z.string()).min(1),
  changes: z.record(z.string(), z.unknown()),
});

const versionStateChanged = z.object({
  model: modelName,
  version: z.number().int().positive(),
  state: z.enum(['READY', 'ARCHIVED', 'DELETED']),
  previous_state: z.enum(['READY', 'ARCHIVED', 'DELETED']),
});

const versionStatisticsAttached = z.object({
  model: modelName,
  version: z.number().int().positive(),
  features: z.number().int().nonnegative(),
});

/** One feature's mergeable sketch of live inputs (see libs/drift). */
export const FeatureSketchSchema = z.object({
  count: z.number().int().nonnegative(),
  sum: z.number(),
  sum_sq: z.number().nonnegative(),
  lag_sum: z.number(),
  lag_count: z.number().int().nonnegative(),
  min: z.number(),
  max: z.number(),
  bins: z.object({
    /** [first key (any integer), counts...]. */
    positive: z.array(z.number()).max(4097),
    negative: z.array(z.number()).max(4097),
    zeros: z.number().nonnegative(),
  }),
});

/** The features of a drift alarm: the statistics of each feature in the window. */
const featureDriftSchema = z.object({
  feature: z.string(),
  live_rows: z.number(),
  effective_rows: z.number(),
  ks_statistic: z.number(),
  ks_p_value: z.number(),
  psi: z.number(),
  wasserstein_norm: z.number(),
  drifted: z.boolean(),
  psi_exceeded: z.boolean(),
  wasserstein_exceeded: z.boolean(),
});

/** A drift alarm: enough to act on without the console (which version, which features, how far). */
const driftAlert = z.object({
  alert_id: z.string(),
  model: modelName,
  version: z.string(),
  window_start: z.iso.datetime(),
  window_end: z.iso.datetime(),
  window_rows: z.number().int().nonnegative(),
  rule: z.enum(['bonferroni', 'share']),
  drifted_share: z.number(),
  p_value_threshold: z.number(),
  drifted_features: z.array(z.string()),
  features: z.array(featureDriftSchema),
});

/**
 * An anomaly alarm: the live inputs of a version, scored by its detector (a trainer's AE, VAE or GMM
 * scorer named by the `monitor.detector` tag), were flagged more often in one window than the
 * detector's threshold percentile expects, by a one-sided binomial test.
 */
const anomalyAlert = z.object({
  alert_id: z.string(),
  model: modelName,
  version: z.string(),
  /** The detector version that scored the sample, `<model>@<version>`. */
  detector: z.string(),
  /** The score above which the detector flags a row (its version's lineage metric `threshold`). */
  detector_threshold: z.number(),
  window_start: z.iso.datetime(),
  window_end: z.iso.datetime(),
  /** Rows of the sample the detector scored in the window, and how many it flagged. */
  scored_rows: z.number().int().positive(),
  anomalous_rows: z.number().int().nonnegative(),
  observed_rate: z.number(),
  /** 1 − threshold_percentile / 100 of the detector's training job. */
  expected_rate: z.number(),
  /** P(X ≥ anomalous_rows) for X ~ Binomial(scored_rows, expected_rate). */
  p_value: z.number(),
  significance: z.number(),
});

/** A person acknowledged an alert: they saw it and act on it (ListAlerts and the console show who). */
const alertAcknowledged = z.object({
  alert_id: z.string(),
  model: modelName,
  version: z.string(),
  /** The alert's type, monitor.alert.drift or monitor.alert.anomaly. */
  alert_type: z.string(),
  by: z.string(),
  note: z.string().default(''),
  at: z.iso.datetime(),
});

/**
 * Alerts of a model (one version, one type, or all) are not published on NATS until `ends_at`: they
 * are still recorded and listed, marked silenced.
 */
const silenceCreated = z.object({
  silence_id: z.string(),
  model: modelName,
  /** Empty: every version. */
  version: z.string().default(''),
  /** Empty: every alert type; else monitor.alert.drift or monitor.alert.anomaly. */
  alert_type: z.string().default(''),
  starts_at: z.iso.datetime(),
  ends_at: z.iso.datetime(),
  reason: z.string(),
  by: z.string(),
});

/** The detector's counts for one window: rows of the sampled live inputs scored, and flagged. */
export const AnomalyCountsSchema = z.object({
  /** `<model>@<version>` of the detector. */
  detector: z.string().min(1),
  threshold: z.number(),
  expected_rate: z.number().gt(0).lt(1),
  scored: z.number().int().nonnegative(),
  anomalous: z.number().int().nonnegative(),
});

/** One window of predictions for one model version, as counted by one inference process. */
export const PredictionWindowSchema = z.object({
  model: modelName,
  version: z.string(),
  requests: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  latency_ms_sum: z.number().nonnegative(),
  latency_ms_max: z.number().nonnegative(),
  /** Counts per LATENCY_BUCKETS_MS bound, plus one overflow bucket at the end. */
  latency_buckets: z.array(z.number().int().nonnegative()).length(LATENCY_BUCKETS_MS.length + 1),
  /**
   * Executions (model runs) of the version in the window, and the rows they ran together: their
   * ratio is the mean batch size. Absent from summaries of instances that predate them.
   */
  executions: z.number().int().nonnegative().optional(),
  execution_rows: z.number().int().nonnegative().optional(),
  /** Per feature of the version's first input, the rows folded in this window (libs/drift FeatureSketchWire). */
  input_sketch: z.array(FeatureSketchSchema).max(100_000).optional(),
  /** Present when the version names a detector (`monitor.detector` tag) and some sampled rows were scored. */
  anomaly: AnomalyCountsSchema.optional(),
});

const predictionSummary = z.object({
  window_start: z.iso.datetime(),
  window_end: z.iso.datetime(),
  instance: z.string(),
  windows: z.array(PredictionWindowSchema),
});

/** A request to train; anyone may publish it (see README). Its spec is validated by the trainer. */
const trainRequested = z.object({
  job_id: z.string().min(1).max(128).optional(),
  pool: z.enum(['cpu', 'gpu']).default('cpu'),
  spec: z.record(z.string(), z.unknown()),
});

/** The GPU a WebGPU backend runs on, e.g. 'nvidia nvidia-h200 via vulkan'; absent on CPU backends. */
const adapter = z.string().optional();

const jobFailed = z.object({
  job_id: z.string(),
  pool: z.string(),
  backend: z.string(),
  adapter,
  reason: z.string(),
});

/** Every trainer job event names the job, its pool, the node running it and the compute backend. */
const jobEventBase = {
  job_id: z.string(),
  pool: z.string(),
  backend: z.string(),
  adapter,
  node_id: z.string(),
};

const jobStarted = z.object({
  ...jobEventBase,
  family: z.string(),
  epochs: z.number().int(),
  resumed_from_epoch: z.number().int().nonnegative(),
});

/** One per finished epoch: training losses, validation metrics and throughput. */
const jobProgress = z.object({
  ...jobEventBase,
  epoch: z.number().int().positive(),
  epochs: z.number().int().positive(),
  losses: z.record(z.string(), z.number()),
  metrics: z.record(z.string(), z.number()),
  samples_per_second: z.number().nonnegative(),
  learning_rate: z.number(),
});

const jobSucceeded = z.object({
  ...jobEventBase,
  model: z.string(),
  version: z.number().int().positive(),
  /** Every artifact registered, e.g. { anomaly: 'm@3', encoder: 'm-encoder@3' }. */
  artifacts: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()),
  epochs_run: z.number().int().nonnegative(),
});

const jobCancelled = z.object({ ...jobEventBase, epoch: z.number().int().nonnegative() });

/** Liveness of one trainer node (core NATS, not stored). `load` is active jobs / concurrency. */
const nodeHeartbeat = z.object({
  node_id: z.string(),
  pool: z.string(),
  backend: z.string(),
  adapter,
  active_jobs: z.number().int().nonnegative(),
  concurrency: z.number().int().positive(),
  load: z.number().nonnegative(),
});

/** Tuner events name the study; trial events the trial's number within it. */
const studyCreated = z.object({
  study_id: z.string(),
  name: z.string(),
  mode: z.enum(['ask-tell', 'training']),
  direction: z.enum(['minimize', 'maximize']),
  metric: z.string(),
  sampler: z.string(),
  pruner: z.string(),
  /** 0: no limit on the count. */
  max_trials: z.number().int().nonnegative(),
  parallelism: z.number().int().positive(),
});

const trialEventBase = { study_id: z.string(), trial: z.number().int().nonnegative() };

const trialStarted = z.object({
  ...trialEventBase,
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  /** Training trials: the trainer job running this attempt. */
  job_id: z.string().optional(),
  attempt: z.number().int().positive(),
});

const trialPruned = z.object({
  ...trialEventBase,
  /** The step (epoch) whose report stopped it, and that report. */
  step: z.number().int().nonnegative(),
  value: z.number().optional(),
});

/** A trial that ended without being pruned: complete with its value, or failed. */
const trialCompleted = z.object({
  ...trialEventBase,
  state: z.enum(['complete', 'failed']),
  value: z.number().optional(),
  reason: z.string().optional(),
  model: z.string().optional(),
  version: z.number().int().positive().optional(),
});

const studyCompleted = z.object({
  study_id: z.string(),
  state: z.enum(['COMPLETED', 'STOPPED']),
  trials: z.number().int().nonnegative(),
  best_trial: z.number().int().nonnegative().optional(),
  best_value: z.number().optional(),
  /** The version the study's alias now points at, when it has one. */
  model: z.string().optional(),
  version: z.number().int().positive().optional(),
  alias: z.string().optional(),
});

const auditRecord = z.object({
  actor: z.string(),
  action: z.string(),
  resource: z.string(),
  trace_id: z.string().optional(),
  details: z.record(z.string(), z.unknown()).default({}),
});

export const EVENT_SCHEMAS = {
  'registry.model.created': modelCreated,
  'registry.version.created': versionCreated,
  'registry.alias.moved': aliasMoved,
  'registry.model.updated': modelUpdated,
  'registry.version.state_changed': versionStateChanged,
  'registry.version.statistics_attached': versionStatisticsAttached,
  'inference.prediction.summary': predictionSummary,
  'monitor.alert.drift': driftAlert,
  'monitor.alert.anomaly': anomalyAlert,
  'monitor.alert.acknowledged': alertAcknowledged,
  'monitor.silence.created': silenceCreated,
  'trainer.job.requested': trainRequested,
  'trainer.job.failed': jobFailed,
  'trainer.job.started': jobStarted,
  'trainer.job.progress': jobProgress,
  'trainer.job.succeeded': jobSucceeded,
  'trainer.job.cancelled': jobCancelled,
  'trainer.node.heartbeat': nodeHeartbeat,
  'tuner.study.created': studyCreated,
  'tuner.trial.started': trialStarted,
  'tuner.trial.pruned': trialPruned,
  'tuner.trial.completed': trialCompleted,
  'tuner.study.completed': studyCompleted,
  'audit.record': auditRecord,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventData<T extends EventType> = z.output<(typeof EVENT_SCHEMAS)[T]>;
export type PredictionWindow = z.output<typeof PredictionWindowSchema>;
export type AnomalyCounts = z.output<typeof AnomalyCountsSchema>;
export type Signature = z.output<typeof SignatureSchema>;
