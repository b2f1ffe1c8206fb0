import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  contextFromCarrier,
  createLogger,
  currentTraceparent,
  startTracing,
  stopTracing,
  tracer,
} from './index.js';

const exporter = new InMemorySpanExporter();
startTracing({
  serviceName: 'telemetry-spec',
  otlpEndpoint: '',
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
afterAll(() => stopTracing());

describe('tracing', () => {
  const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('continues a caller traceparent', () => {
    const ctx = contextFromCarrier((k) => (k === 'traceparent' ? parent : undefined));
    const span = tracer('spec').startSpan('predict', {}, ctx);
    span.end();
    const [done] = exporter.getFinishedSpans().filter((s) => s.name === 'predict');
    expect(done?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(done?.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  it('injects the active span as traceparent', () => {
    const span = tracer('spec').startSpan('outer');
    context.with(trace.setSpan(context.active(), span), () => {
      expect(currentTraceparent()).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    });
    span.end();
    expect(currentTraceparent()).toBeUndefined();
  });

  it('ignores a malformed traceparent and starts a new trace', () => {
    const ctx = contextFromCarrier(() => 'garbage');
    const span = tracer('spec').startSpan('x', {}, ctx);
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    span.end();
  });
});

describe('createLogger', () => {
  it('writes JSON lines that carry the trace id inside a span, and none outside', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger('svc', 'info', sink);
    const span = tracer('spec').startSpan('logged');
    context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
    span.end();
    logger.info('outside');
    logger.debug('below level');
    const [inside, outside] = lines.map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(inside).toMatchObject({
      msg: 'inside',
      service: 'svc',
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(outside.trace_id).toBeUndefined();
  });
});
