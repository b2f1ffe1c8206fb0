import { status } from '@grpc/grpc-js';
import { AimassError, type ErrorKind } from './errors.js';

const STATUS_OF: Record<ErrorKind, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  ABORTED: status.ABORTED,
  INTERNAL: status.INTERNAL,
};

export interface GrpcStatusError {
  readonly code: status;
  readonly details: string;
}

/**
 * Longest status message sent, in characters. The message travels in an HTTP/2 trailer; one that
 * quotes a caller's 100,000-character field would pass the client's header-list limit (16 KiB in
 * grpc-js), and the client then resets the whole connection, failing every call on it.
 */
export const MAX_STATUS_DETAILS = 500;

/**
 * The one mapping from errors to gRPC statuses. Unknown errors become INTERNAL with a generic
 * message: their text may hold internals, so the caller sees only that something broke. Messages
 * are cut to MAX_STATUS_DETAILS characters.
 */
export function toGrpcStatus(err: unknown): GrpcStatusError {
  if (err instanceof AimassError) return { code: STATUS_OF[err.kind], details: bounded(err.message) };
  if (isGrpcStatusError(err)) return { code: err.code, details: bounded(err.details) };
  return { code: status.INTERNAL, details: 'internal error; see the service log' };
}

function bounded(details: string): string {
  if (details.length <= MAX_STATUS_DETAILS) return details;
  const cut = details.length - MAX_STATUS_DETAILS;
  return `${details.slice(0, MAX_STATUS_DETAILS)}… (${cut} more characters)`;
}

function isGrpcStatusError(err: unknown): err is GrpcStatusError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'number' &&
    typeof (err as { details?: unknown }).details === 'string'
  );
}
