import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  FailedPreconditionError,
  fromWire,
  HIDDEN_ERROR_MESSAGE,
  InternalError,
  InvalidArgumentError,
  MAX_CAUSE_DEPTH,
  NotFoundError,
  toGrpcStatus,
  toWire,
  UnavailableError,
  type AimassError,
} from './index.js';

/** Through JSON, as a NATS reply carries it. */
const acrossTheWire = (err: unknown): AimassError => fromWire(JSON.parse(JSON.stringify(toWire(err))));

const chainOf = (err: unknown): [string, string][] => {
  const links: [string, string][] = [];
  for (let e = err as Error | undefined; e; e = e.cause as Error | undefined) links.push([e.name, e.message]);
  return links;
};

describe('wire errors', () => {
  it('keep their class, kind, message and every typed cause, outermost first', () => {
    const root = new UnavailableError('object storage unreachable');
    const middle = new FailedPreconditionError('artifact of version 3 cannot be read', { cause: root });
    const err = new NotFoundError('model "fraud" has no servable version', { cause: middle });
    const back = acrossTheWire(err);
    expect(back).toBeInstanceOf(NotFoundError);
    expect(back.kind).toBe('NOT_FOUND');
    expect(chainOf(back)).toEqual([
      ['NotFoundError', 'model "fraud" has no servable version'],
      ['FailedPreconditionError', 'artifact of version 3 cannot be read'],
      ['UnavailableError', 'object storage unreachable'],
    ]);
    expect(back.cause).toBeInstanceOf(FailedPreconditionError);
    expect((back.cause as Error).cause).toBeInstanceOf(UnavailableError);
  });

  it('encode as plain JSON', () => {
    const err = new ConflictError('cas lost', { cause: new InvalidArgumentError('bad') });
    expect(toWire(err)).toEqual({
      kind: 'ABORTED',
      message: 'cas lost',
      cause: { kind: 'INVALID_ARGUMENT', message: 'bad' },
    });
  });

  it('map to the same gRPC status and details after the trip as before it', () => {
    for (const err of [
      new InvalidArgumentError('input "x": expected FP32'),
      new NotFoundError('no model "m"'),
      new ConflictError('try again', { cause: new UnavailableError('kv down') }),
    ]) {
      expect(toGrpcStatus(acrossTheWire(err))).toEqual(toGrpcStatus(err));
    }
    expect(toGrpcStatus(acrossTheWire(new NotFoundError('gone'))).code).toBe(status.NOT_FOUND);
  });

  it('hide the text of an untyped error, at the top or as a cause', () => {
    const leaky = new Error('postgres://admin:hunter2@db refused');
    expect(toWire(leaky)).toEqual({ kind: 'INTERNAL', message: HIDDEN_ERROR_MESSAGE });
    const wrapped = toWire(new UnavailableError('registry store unreachable', { cause: leaky }));
    expect(JSON.stringify(wrapped)).not.toMatch(/hunter2|postgres/);
    expect(wrapped.cause).toEqual({ kind: 'INTERNAL', message: HIDDEN_ERROR_MESSAGE });
  });

  it('stop a cyclic cause chain at MAX_CAUSE_DEPTH', () => {
    const a = new UnavailableError('a');
    const b = new UnavailableError('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    const back = acrossTheWire(b);
    expect(chainOf(back)).toHaveLength(MAX_CAUSE_DEPTH);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'NOT_FOUND'],
    ['an unknown kind', { kind: 'TEAPOT', message: 'short and stout' }],
    ['a kind that names an Object method', { kind: 'toString', message: 'x' }],
    ['a numeric kind', { kind: 5, message: 'x' }],
  ])('rebuild %s as an InternalError instead of failing', (_what, wire) => {
    expect(fromWire(wire)).toBeInstanceOf(InternalError);
  });

  it('replace a missing message, and rebuild a cause that is not an object as an InternalError', () => {
    const back = fromWire({ kind: 'NOT_FOUND', cause: 7 });
    expect(back).toBeInstanceOf(NotFoundError);
    expect(back.message).toBe(HIDDEN_ERROR_MESSAGE);
    expect(back.cause).toBeInstanceOf(InternalError);
  });
});
