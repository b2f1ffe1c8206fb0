import { attachPrincipal, serviceAuthorization } from '@aimass/runtime';
import type { Metadata } from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import { INFERENCE_ACCESS } from './access-rules.js';

/**
 * The guard's check for the one OIP call Nest does not route: ModelInfer on its plain grpc-js
 * handler. It shares the process's CallAuthorization (and its cache of verified tokens) with the
 * GrpcAuthGuard that runService puts on every Nest route. With authentication off it costs nothing.
 */
@Injectable()
export class CallAuthorizer {
  private readonly authorization = serviceAuthorization(INFERENCE_ACCESS);

  get enabled(): boolean {
    return this.authorization.enabled;
  }

  async authorize(path: string, metadata: Metadata, request: unknown): Promise<void> {
    const principal = await this.authorization.authorize(
      path,
      metadata.get('authorization')[0]?.toString(),
      request,
    );
    attachPrincipal(metadata, principal, true);
  }
}
