import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
} from '@aimass/errors';
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

const DEADLINE_MS = 5_000;

/**
 * One unary call the console makes to another service (`peer`), as a promise with a deadline; its
 * status becomes the typed error the console answers with, the message naming the peer and `what`.
 */
export function unaryCall<T>(
  peer: string,
  what: string,
  invoke: (
    md: Metadata,
    options: { deadline: number },
    done: (err: ServiceError | null, value?: T) => void,
  ) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    invoke(new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (err, value) =>
      err || value === undefined ? reject(translate(err, peer, what)) : resolve(value),
    ),
  );
}

/** A peer's gRPC status as the typed error the console answers with. */
export function translate(err: ServiceError | null, peer: string, what: string): Error {
  if (err?.code === GrpcStatus.NOT_FOUND) return new NotFoundError(err.details, { cause: err });
  if (err?.code === GrpcStatus.UNAUTHENTICATED)
    return new UnauthenticatedError(`the ${peer} refused to ${what}: ${err.details}`, { cause: err });
  if (err?.code === GrpcStatus.PERMISSION_DENIED)
    return new PermissionDeniedError(`the ${peer} refused to ${what}: ${err.details}`, { cause: err });
  if (err?.code === GrpcStatus.INVALID_ARGUMENT)
    return new InvalidArgumentError(`the ${peer} refused to ${what}: ${err.details}`, { cause: err });
  if (err?.code === GrpcStatus.FAILED_PRECONDITION)
    return new FailedPreconditionError(`the ${peer} cannot ${what} yet: ${err.details}`, { cause: err });
  return new UnavailableError(`the ${peer} could not ${what}: ${err?.details ?? 'no answer'}`, {
    cause: err,
  });
}
