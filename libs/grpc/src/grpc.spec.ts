import { InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { startTracing, stopTracing } from '@aimass/telemetry';
import { Metadata, status } from '@grpc/grpc-js';
import type { ArgumentsHost } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { lastValueFrom, type Observable } from 'rxjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deadlineOf, MeshExceptionFilter, replyUnary, traceContextOf } from './index.js';

function rpcHost(second: unknown): ArgumentsHost {
  return {
    getType: () => 'rpc',
    getArgByIndex: (i: number) => (i === 1 ? second : undefined),
  } as unknown as ArgumentsHost;
}

describe('MeshExceptionFilter', () => {
  const filter = new MeshExceptionFilter();

  it('turns a typed error in a gRPC handler into its status with its message', async () => {
    const out = filter.catch(
      new NotFoundError('model "m" does not exist'),
      rpcHost(new Metadata()),
    ) as Observable<never>;
    await expect(lastValueFrom(out)).rejects.toEqual({
      code: status.NOT_FOUND,
      details: 'model "m" does not exist',
      message: 'model "m" does not exist',
    });
  });

  it('answers INTERNAL without the text of an unexpected error', async () => {
    const out = filter.catch(
      new Error('db password is hunter2'),
      rpcHost(new Metadata()),
    ) as Observable<never>;
    const err = await lastValueFrom(out).catch((e: { code: number; details: string }) => e);
    expect(err.code).toBe(status.INTERNAL);
    expect(err.details).not.toContain('hunter2');
  });

  it('passes a NATS handler error on unchanged, so the transport can decide ack or retry', async () => {
    const original = new InvalidArgumentError('bad');
    const out = filter.catch(original, rpcHost({ subject: 'aimass.events.x' })) as Observable<never>;
    await expect(lastValueFrom(out)).rejects.toBe(original);
  });

  it('answers HTTP with the mapped status code', () => {
    const json = vi.fn();
    const response = { status: vi.fn(() => ({ json })) };
    const host = {
      getType: () => 'http',
      switchToHttp: () => ({ getResponse: () => response }),
    } as unknown as ArgumentsHost;
    filter.catch(new NotFoundError('nope'), host);
    expect(response.status).toHaveBeenCalledWith(404);
    expect(json).toHaveBeenCalledWith({ error: 'nope', code: 'NOT_FOUND' });
  });
});

describe('replyUnary', () => {
  it('answers a callback-style handler with the value or the mapped status', async () => {
    const ok = vi.fn();
    await replyUnary(ok, Promise.resolve(7));
    expect(ok).toHaveBeenCalledWith(null, 7);
    const failed = vi.fn();
    await replyUnary(failed, Promise.reject(new InvalidArgumentError('chunk before header')));
    expect(failed.mock.calls[0]![0]).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'chunk before header',
    });
  });
});

describe('call metadata', () => {
  // W3C propagation is registered by the process's one telemetry start.
  startTracing({ serviceName: 'grpc-spec', otlpEndpoint: '' });
  afterAll(() => stopTracing());

  it('reads the caller traceparent', () => {
    const md = new Metadata();
    md.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(trace.getSpanContext(traceContextOf(md))?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(trace.getSpanContext(traceContextOf(new Metadata()))).toBeUndefined();
  });

  it('reads the deadline, Infinity when none', () => {
    expect(deadlineOf({ getDeadline: () => new Date(5000) })).toBe(5000);
    expect(deadlineOf({ getDeadline: () => Infinity })).toBe(Infinity);
    expect(deadlineOf(undefined)).toBe(Infinity);
  });
});
