import { parseInput } from '@aimass/contracts';
import { Injectable } from '@nestjs/common';
import { VersionRefSchema } from '../dtos/console-query.dto.js';
import { RegistryCatalogRepository } from '../repositories/registry-catalog.repository.js';

export interface FeatureReference {
  readonly name: string;
  readonly count: number;
  readonly mean: number;
  readonly stddev: number;
  readonly min: number;
  readonly max: number;
  readonly quantiles: readonly { q: number; value: number }[];
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
}

/** The Data view's reference side: per-feature statistics the trainer stored with a version. */
@Injectable()
export class DataConsoleService {
  constructor(private readonly registry: RegistryCatalogRepository) {}

  async reference(params: unknown): Promise<{
    model: string;
    version: string;
    sample_count: number;
    computed_at: string;
    features: FeatureReference[];
  }> {
    const { model, version } = parseInput(VersionRefSchema, params, 'model version');
    const stats = await this.registry.getReferenceStatistics(model, version);
    return {
      model,
      version,
      sample_count: Number(stats.sample_count),
      computed_at: stats.computed_at,
      features: stats.features.map((f) => ({
        name: f.name,
        count: Number(f.count),
        mean: f.mean,
        stddev: f.stddev,
        min: f.min,
        max: f.max,
        quantiles: f.quantiles.map((q) => ({ q: q.q, value: q.value })),
        histogram: { edges: f.histogram?.edges ?? [], counts: (f.histogram?.counts ?? []).map(Number) },
      })),
    };
  }
}
