/** The metric catalogue is part of the job-spec contract (libs/contracts); the computations live here. */
export {
  METRICS,
  DEFAULT_METRICS,
  metricProblem,
  type FamilyName,
  type MetricDefinition,
  type MetricName,
} from '@aimass/contracts';

/** The ranking metrics are shared with the registry's verification of model cards. */
export { auprc, auroc } from '@aimass/datasets';
