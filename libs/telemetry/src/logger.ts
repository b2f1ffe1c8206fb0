import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

/**
 * The structured logger of a process. Every line carries the service name and, inside a span,
 * its trace_id and span_id, so a log line leads to its trace in Jaeger.
 */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export type { Logger };
