import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';

/**
 * The authentication and authorization seam of the inference service. Every OIP v2 call passes
 * through it before its handler runs: context.getArgByIndex(1) is the caller's gRPC Metadata
 * (`authorization`, mTLS peer via the call at index 2), context.getHandler().name the method.
 *
 * It lets every call through today. The security work fills it in: verify the credential, then
 * throw UnauthenticatedError / PermissionDeniedError from @aimass/errors (the exception filter maps
 * them to UNAUTHENTICATED / PERMISSION_DENIED), or attach the principal for the handler. Keep it
 * cheap: it sits on the hot path of ModelInfer and of each ModelStreamInfer stream.
 */
@Injectable()
export class AuthInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}
