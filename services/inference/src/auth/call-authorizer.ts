import type { Metadata } from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';

/**
 * The authentication and authorization seam of the inference service: every OIP v2 call is checked
 * here before its handler runs, whether it arrives through Nest (AuthInterceptor) or on the plain
 * grpc-js ModelInfer handler. `metadata` is the caller's gRPC Metadata (`authorization`), `method`
 * the handler's name (`modelInfer`, `modelStreamInfer`, `serverLive`, …).
 *
 * It lets every call through today. The security work fills it in: verify the credential, then
 * throw UnauthenticatedError / PermissionDeniedError from @aimass/errors (both paths map them to
 * UNAUTHENTICATED / PERMISSION_DENIED). Keep it cheap: it sits on the hot path of ModelInfer and of
 * each ModelStreamInfer stream.
 */
@Injectable()
export class CallAuthorizer {
  check(_metadata: Metadata, _method: string): void {}
}
