export {
  ModelCardError,
  ModelCardMetadataSchema,
  parseModelCard,
  type ModelCard,
  type ModelCardMetadata,
} from './model-card.js';
export { renderModelCard } from './render.js';
export {
  CARD_METRICS,
  computeMetric,
  metricProblem,
  withinTolerance,
  type RunOutputs,
} from './card-metrics.js';
