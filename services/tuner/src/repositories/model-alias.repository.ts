import type { AimassConfig } from '@aimass/config';
import type { registryv1 } from '@aimass/contracts';
import { UnavailableError } from '@aimass/errors';
import { peerClient } from '@aimass/grpc/client';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';

/** The registry's gRPC API, as the tuner uses it: point a study's alias at its best version. */
@Injectable()
export class ModelAliasRepository implements OnModuleDestroy {
  private readonly client: registryv1.RegistryServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = peerClient<registryv1.RegistryServiceClient>('registry', config);
  }

  /** Moves (or creates) the alias; setting it again to the same version changes nothing. */
  setAlias(model: string, alias: string, version: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.SetAlias({ model, alias, version }, (err) =>
        err
          ? reject(
              new UnavailableError(`could not point ${model}@${alias} at ${version}: ${err.details}`, {
                cause: err,
              }),
            )
          : resolve(),
      ),
    );
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}
