export {
  startTracing,
  stopTracing,
  tracer,
  contextFromCarrier,
  currentTraceparent,
  currentTraceId,
  type TracingOptions,
} from './tracing.js';
export { createLogger, type Logger } from './logger.js';
export { LatencyHistogram } from './latency-histogram.js';
export {
  LatencyHistogramMetric,
  type LatencyHistogramMetricOptions,
  type LatencySeries,
} from './latency-histogram-metric.js';
