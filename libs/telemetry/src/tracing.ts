import { context, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  readonly serviceName: string;
  /** OTLP/HTTP base URL (spans go to `<endpoint>/v1/traces`); empty: spans are recorded, not exported. */
  readonly otlpEndpoint: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  readonly spanProcessors?: SpanProcessor[];
}

let sdk: NodeSDK | undefined;

/**
 * Starts the one OpenTelemetry SDK of this process: W3C trace-context propagation, AsyncLocalStorage
 * context, and an OTLP/HTTP exporter only when an endpoint is configured (with none, the SDK's
 * default exporter would target localhost:4318 and reject every flush). Call first in main.ts.
 */
export function startTracing(options: TracingOptions): void {
  if (sdk) return;
  // The SDK also reads OTEL_* variables; aimass configures exporters itself.
  process.env.OTEL_TRACES_EXPORTER ??= 'none';
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    processors.push(
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 500 }),
    );
  }
  sdk = new NodeSDK({
    serviceName: options.serviceName,
    autoDetectResources: false,
    spanProcessors: processors,
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [],
  });
  sdk.start();
}

/** Flushes and stops the SDK; export failures are reported, never thrown at shutdown. */
export async function stopTracing(): Promise<void> {
  const current = sdk;
  sdk = undefined;
  if (!current) return;
  try {
    await current.shutdown();
  } catch (err) {
    process.stderr.write(`telemetry: span export failed at shutdown: ${String(err)}\n`);
  }
}

export function tracer(name: string): Tracer {
  return trace.getTracer(name);
}

/** A context whose parent is the W3C `traceparent` read from any header-like carrier. */
export function contextFromCarrier(get: (key: string) => string | undefined): Context {
  return propagation.extract(
    context.active(),
    {},
    {
      keys: () => ['traceparent', 'tracestate'],
      get: (_carrier, key) => get(key),
    },
  );
}

/** The active context as a W3C `traceparent` header value, if a span is active. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

export function currentTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}
