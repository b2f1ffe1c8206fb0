/**
 * Typed errors shared by every service. Each class maps to exactly one gRPC status (see
 * grpc-status.ts); services throw these and one exception filter turns them into statuses.
 */
export type ErrorKind =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'INTERNAL';

export abstract class AimassError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class InvalidArgumentError extends AimassError {
  override readonly name = 'InvalidArgumentError';
  readonly kind = 'INVALID_ARGUMENT';
}
export class NotFoundError extends AimassError {
  override readonly name = 'NotFoundError';
  readonly kind = 'NOT_FOUND';
}
export class AlreadyExistsError extends AimassError {
  override readonly name = 'AlreadyExistsError';
  readonly kind = 'ALREADY_EXISTS';
}
export class FailedPreconditionError extends AimassError {
  override readonly name = 'FailedPreconditionError';
  readonly kind = 'FAILED_PRECONDITION';
}
export class UnauthenticatedError extends AimassError {
  override readonly name = 'UnauthenticatedError';
  readonly kind = 'UNAUTHENTICATED';
}
export class PermissionDeniedError extends AimassError {
  override readonly name = 'PermissionDeniedError';
  readonly kind = 'PERMISSION_DENIED';
}
export class ResourceExhaustedError extends AimassError {
  override readonly name = 'ResourceExhaustedError';
  readonly kind = 'RESOURCE_EXHAUSTED';
}
/** A dependency (NATS, S3, another service) cannot be reached; the caller may retry. */
export class UnavailableError extends AimassError {
  override readonly name = 'UnavailableError';
  readonly kind = 'UNAVAILABLE';
}
export class DeadlineExceededError extends AimassError {
  override readonly name = 'DeadlineExceededError';
  readonly kind = 'DEADLINE_EXCEEDED';
}
/** A compare-and-set lost a race; the caller may retry the whole operation. */
export class ConflictError extends AimassError {
  override readonly name = 'ConflictError';
  readonly kind = 'ABORTED';
}
/** A bug or an impossible state. Its message is logged, never shown in full to callers. */
export class InternalError extends AimassError {
  override readonly name = 'InternalError';
  readonly kind = 'INTERNAL';
}

export function isAimassError(err: unknown): err is AimassError {
  return err instanceof AimassError;
}

const BY_KIND: Record<ErrorKind, new (message: string, options?: { cause?: unknown }) => AimassError> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  ALREADY_EXISTS: AlreadyExistsError,
  FAILED_PRECONDITION: FailedPreconditionError,
  UNAUTHENTICATED: UnauthenticatedError,
  PERMISSION_DENIED: PermissionDeniedError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  UNAVAILABLE: UnavailableError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  ABORTED: ConflictError,
  INTERNAL: InternalError,
};

/** The class of an error kind; an unknown kind is an InternalError. */
export function errorClassOf(
  kind: unknown,
): new (message: string, options?: { cause?: unknown }) => AimassError {
  return typeof kind === 'string' && Object.hasOwn(BY_KIND, kind)
    ? BY_KIND[kind as ErrorKind]
    : InternalError;
}
