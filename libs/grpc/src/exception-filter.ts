import { isAimassError, toGrpcStatus } from '@aimass/errors';
import { Metadata, status as grpcStatus } from '@grpc/grpc-js';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { of, throwError, type Observable } from 'rxjs';

interface PassThroughCall {
  getPath(): string;
  emit(event: 'error', error: unknown): boolean;
}

function isPassThroughCall(value: unknown): value is PassThroughCall {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PassThroughCall).getPath === 'function' &&
    typeof (value as PassThroughCall).emit === 'function'
  );
}

const HTTP_OF: Partial<Record<grpcStatus, number>> = {
  [grpcStatus.INVALID_ARGUMENT]: 400,
  [grpcStatus.UNAUTHENTICATED]: 401,
  [grpcStatus.PERMISSION_DENIED]: 403,
  [grpcStatus.NOT_FOUND]: 404,
  [grpcStatus.ALREADY_EXISTS]: 409,
  [grpcStatus.ABORTED]: 409,
  [grpcStatus.FAILED_PRECONDITION]: 412,
  [grpcStatus.RESOURCE_EXHAUSTED]: 429,
  [grpcStatus.UNAVAILABLE]: 503,
  [grpcStatus.DEADLINE_EXCEEDED]: 504,
};

/**
 * The one place where errors leave a service:
 *  - gRPC handlers: a typed error becomes its gRPC status with its message (written for the caller);
 *    anything else is logged with its stack and answered INTERNAL without internals.
 *  - NATS handlers: the typed error is passed on unchanged; the transport decides ack/nak/term.
 *  - HTTP (ops endpoints): the same mapping, as an HTTP status and a JSON body.
 */
@Catch()
export class MeshExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('MeshExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | Observable<undefined> | void {
    const error = exception instanceof RpcException ? exception.getError() : exception;
    if (host.getType() === 'http') return this.answerHttp(error, host);
    const first: unknown = host.getArgByIndex(0);
    if (isPassThroughCall(first)) return this.answerPassThrough(error, first, host.getArgByIndex(1));
    if (!(host.getArgByIndex(1) instanceof Metadata)) return throwError(() => error);
    if (!isAimassError(error)) this.logger.error({ err: error }, 'unexpected error in a gRPC handler');
    const status = toGrpcStatus(error);
    return throwError(() => ({ code: status.code, details: status.details, message: status.details }));
  }

  /**
   * A pass-through stream call (@GrpcStreamCall) that failed before its handler took it over (a
   * guard refused it): Nest has nobody to hand an error Observable to, so the filter answers the
   * call itself (its callback, or the stream's 'error', which grpc-js turns into the status) and
   * lets Nest finish quietly. Otherwise the rejection would be unhandled and end the process.
   */
  private answerPassThrough(error: unknown, call: PassThroughCall, callback: unknown): Observable<undefined> {
    if (!isAimassError(error)) this.logger.error({ err: error }, 'unexpected error in a gRPC stream handler');
    const status = toGrpcStatus(error);
    const answer = { code: status.code, details: status.details, message: status.details };
    if (typeof callback === 'function') (callback as (err: unknown) => void)(answer);
    else call.emit('error', answer);
    return of(undefined);
  }

  private answerHttp(error: unknown, host: ArgumentsHost): void {
    const response = host
      .switchToHttp()
      .getResponse<{ status(code: number): { json(body: unknown): void } }>();
    if (error instanceof HttpException) {
      response.status(error.getStatus()).json({ error: error.message });
      return;
    }
    if (!isAimassError(error)) this.logger.error({ err: error }, 'unexpected error in an HTTP handler');
    const status = toGrpcStatus(error);
    response
      .status(HTTP_OF[status.code] ?? 500)
      .json({ error: status.details, code: grpcStatus[status.code] });
  }
}
