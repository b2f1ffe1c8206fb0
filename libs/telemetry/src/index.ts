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
