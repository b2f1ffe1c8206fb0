import { isAimassError, toGrpcStatus } from '@aimass/errors';
import type { sendUnaryData, ServiceError } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';

const logger = new Logger('UnaryReply');

/**
 * Answers a callback-style gRPC handler (client-streaming calls, where Nest hands over the raw call,
 * and handlers registered on grpc-js directly) from a promise, with the same error-to-status mapping
 * as MeshExceptionFilter.
 */
export function replyUnary<T>(callback: sendUnaryData<T>, work: Promise<T>): Promise<void> {
  return work.then(
    (value) => callback(null, value),
    (err: unknown) => {
      if (!isAimassError(err)) logger.error({ err }, 'unexpected error in a gRPC handler');
      const status = toGrpcStatus(err);
      callback({ code: status.code, details: status.details, message: status.details } as ServiceError);
    },
  );
}
