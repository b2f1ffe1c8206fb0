import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
  toGrpcStatus,
} from './index.js';

describe('toGrpcStatus', () => {
  it('cuts a message that quotes a huge field, so the trailer stays under the client limit', () => {
    const mapped = toGrpcStatus(new InvalidArgumentError(`model ${'a'.repeat(100_000)} is not a valid name`));
    expect(mapped.code).toBe(status.INVALID_ARGUMENT);
    expect(mapped.details).toBe(`model ${'a'.repeat(494)}… (99526 more characters)`);
    expect(toGrpcStatus(new InvalidArgumentError('short')).details).toBe('short');
  });

  it.each([
    [new InvalidArgumentError('bad shape for input "x"'), status.INVALID_ARGUMENT],
    [new NotFoundError('model "m" not found'), status.NOT_FOUND],
    [new FailedPreconditionError('alias points here'), status.FAILED_PRECONDITION],
    [new ResourceExhaustedError('queue full'), status.RESOURCE_EXHAUSTED],
    [new UnavailableError('s3 down'), status.UNAVAILABLE],
    [new ConflictError('cas lost'), status.ABORTED],
    [new InternalError('bug'), status.INTERNAL],
  ])('maps %s', (err, code) => {
    expect(toGrpcStatus(err)).toEqual({ code, details: err.message });
  });

  it('keeps the cause and the class name', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new UnavailableError('object storage unreachable', { cause });
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('UnavailableError');
    expect(err).toBeInstanceOf(Error);
  });

  it('hides the text of unknown errors', () => {
    const mapped = toGrpcStatus(new Error('password=hunter2'));
    expect(mapped.code).toBe(status.INTERNAL);
    expect(mapped.details).not.toContain('hunter2');
  });

  it('passes through a status error that is already shaped', () => {
    expect(toGrpcStatus({ code: status.CANCELLED, details: 'client went away' })).toEqual({
      code: status.CANCELLED,
      details: 'client went away',
    });
  });
});
