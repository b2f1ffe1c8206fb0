import type { Metadata } from '@grpc/grpc-js';
import { contextFromCarrier } from '@aimass/telemetry';
import type { Context } from '@opentelemetry/api';

/** The caller's trace context, from the W3C `traceparent`/`tracestate` gRPC metadata. */
export function traceContextOf(metadata: Metadata | undefined): Context {
  return contextFromCarrier((key) => {
    const value = metadata?.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  });
}

/** The caller's gRPC deadline as ms since epoch; Infinity when none was set. */
export function deadlineOf(call: { getDeadline(): Date | number } | undefined): number {
  const deadline = call?.getDeadline();
  if (deadline === undefined) return Infinity;
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : Infinity;
}
