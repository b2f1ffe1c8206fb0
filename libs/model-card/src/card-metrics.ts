import { auprc, auroc } from '@aimass/datasets';

/** One output of a model run, by name (onnxruntime's result). */
export interface RunOutputs {
  readonly [name: string]:
    { readonly data: ArrayLike<number> | ArrayLike<bigint> | readonly string[] } | undefined;
}

interface MetricEvaluator {
  /** What the metric is, for the card's readers and the refusal messages. */
  readonly about: string;
  readonly output: string;
  readonly needsLabels: boolean;
  compute(values: ArrayLike<number>, labels: Uint8Array | undefined): number;
}

const mean = (values: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length > 0 ? sum / values.length : Number.NaN;
};

/**
 * The metrics a card's results can declare and the registry can re-run: each reads one output of
 * the model (the names the platform's scorers export) over the dataset's rows.
 */
export const CARD_METRICS: Readonly<Record<string, MetricEvaluator>> = {
  mean_score: { about: 'mean of the score output', output: 'score', needsLabels: false, compute: mean },
  anomaly_rate: {
    about: 'share of rows whose is_anomaly output is true',
    output: 'is_anomaly',
    needsLabels: false,
    compute: mean,
  },
  mean_log_likelihood: {
    about: 'mean of the log_likelihood output (a Gaussian mixture)',
    output: 'log_likelihood',
    needsLabels: false,
    compute: mean,
  },
  auroc: {
    about: 'area under the ROC curve of the score output against the label column',
    output: 'score',
    needsLabels: true,
    compute: (values, labels) => auroc(values, labels!),
  },
  auprc: {
    about: 'average precision of the score output against the label column',
    output: 'score',
    needsLabels: true,
    compute: (values, labels) => auprc(values, labels!),
  },
};

/** Why `type` cannot be re-run on a model with these outputs (undefined when it can). */
export function metricProblem(
  type: string,
  outputs: readonly string[],
  labelled: boolean,
): string | undefined {
  const evaluator = CARD_METRICS[type];
  if (!evaluator)
    return `the registry cannot re-run "${type}"; it re-runs ${Object.keys(CARD_METRICS).join(', ')}`;
  if (!outputs.includes(evaluator.output))
    return `"${type}" reads the output "${evaluator.output}", which this version does not have (it has ${outputs.join(', ')})`;
  if (evaluator.needsLabels && !labelled)
    return `"${type}" needs labels: name the dataset's 0/1 label column as dataset.label_column`;
  return undefined;
}

/** The metric over one run's outputs; BOOL outputs count as 0/1. */
export function computeMetric(type: string, outputs: RunOutputs, labels: Uint8Array | undefined): number {
  const evaluator = CARD_METRICS[type]!;
  const data = outputs[evaluator.output]!.data;
  const values = Float64Array.from(data as ArrayLike<number>, (v) => Number(v));
  return evaluator.compute(values, labels);
}

/** Whether `computed` matches `declared` within `tolerance` (relative, with a tiny absolute floor). */
export function withinTolerance(declared: number, computed: number, tolerance: number): boolean {
  if (!Number.isFinite(computed)) return false;
  return Math.abs(computed - declared) <= Math.max(1e-9, tolerance * Math.abs(declared));
}
