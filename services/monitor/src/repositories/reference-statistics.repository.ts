import type { AimassConfig } from '@aimass/config';
import type { registryv1 } from '@aimass/contracts';
import { ReferenceDistribution } from '@aimass/drift';
import { peerClient } from '@aimass/grpc/client';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { status, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Reads a version's reference statistics from the registry over gRPC (with the monitor's own
 * token). A version without statistics, or that does not exist, has none: drift is not measured.
 */
@Injectable()
export class ReferenceStatisticsRepository implements OnModuleDestroy {
  private readonly client: registryv1.RegistryServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = peerClient<registryv1.RegistryServiceClient>('registry', config);
  }

  onModuleDestroy(): void {
    (this.client as unknown as { close(): void }).close();
  }

  /** Per feature, in input order; undefined when the version has no reference statistics. */
  get(model: string, version: string): Promise<ReferenceDistribution[] | undefined> {
    return new Promise((resolve, reject) => {
      this.client.GetReferenceStatistics(
        { model, version },
        { deadline: Date.now() + 10_000 },
        (err: ServiceError | null, stats?: registryv1.ReferenceStatistics__Output) => {
          if (err) {
            if (err.code === status.NOT_FOUND || err.code === status.FAILED_PRECONDITION) resolve(undefined);
            else reject(err);
            return;
          }
          const features = stats?.features ?? [];
          if (features.length === 0) return resolve(undefined);
          resolve(
            features.map(
              (f) =>
                new ReferenceDistribution({
                  name: f.name,
                  count: Number(f.count),
                  mean: f.mean,
                  stddev: f.stddev,
                  min: f.min,
                  max: f.max,
                  quantiles: f.quantiles.map((q) => ({ q: q.q, value: q.value })),
                  histogram: {
                    edges: f.histogram?.edges ?? [],
                    counts: (f.histogram?.counts ?? []).map(Number),
                  },
                }),
            ),
          );
        },
      );
    });
  }
}
