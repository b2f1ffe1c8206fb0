import type { AimassConfig } from '@aimass/config';
import type { oip } from '@aimass/contracts';
import { channelCredentials, createMeshClient } from '@aimass/grpc';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { translate } from './peer-calls.js';

const DEADLINE_MS = 30_000;

/**
 * Inference's OIP v2 API as the hub's "try it" uses it. A prediction is made with the caller's own
 * token (forwarded from the console request), never the monitor's: the monitor holds no `infer`
 * scope, so the hub cannot be used to run a model its visitor may not run.
 */
@Injectable()
export class InferenceClientRepository implements OnModuleDestroy {
  private readonly client: oip.GRPCInferenceServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = createMeshClient<oip.GRPCInferenceServiceClient>(
      'inference',
      config.grpc.inference,
      {},
      undefined,
      channelCredentials(config.tls),
    );
  }

  modelInfer(
    request: oip.ModelInferRequest,
    authorization: string | undefined,
  ): Promise<oip.ModelInferResponse__Output> {
    const metadata = new Metadata();
    if (authorization) metadata.set('authorization', authorization);
    return new Promise((resolve, reject) =>
      this.client.ModelInfer(
        request,
        metadata,
        { deadline: Date.now() + DEADLINE_MS },
        (err: ServiceError | null, value?: oip.ModelInferResponse__Output) =>
          err || value === undefined
            ? reject(translate(err, 'inference service', `run ${request.model_name}`))
            : resolve(value),
      ),
    );
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}
