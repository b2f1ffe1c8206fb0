import { Metadata } from '@grpc/grpc-js';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { CallAuthorizer } from './call-authorizer.js';

/**
 * Puts the OIP calls that Nest routes through the CallAuthorizer: a unary call's Metadata is
 * context.getArgByIndex(1); a pass-through stream call (index 0) carries its own.
 */
@Injectable()
export class AuthInterceptor implements NestInterceptor {
  constructor(private readonly authorizer: CallAuthorizer) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const md: unknown = context.getArgByIndex(1);
    const metadata =
      md instanceof Metadata
        ? md
        : (context.getArgByIndex<{ metadata: Metadata }>(0)?.metadata ?? new Metadata());
    this.authorizer.check(metadata, context.getHandler().name);
    return next.handle();
  }
}
