import type { AimassConfig } from '@aimass/config';
import { parseInput, type Envelope, type EventData, type registryv1 } from '@aimass/contracts';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { PredictionSeries, type VersionSeries } from '../console/prediction-series.js';
import { tracesUrl } from '../console/traces-url.js';
import { ModelSeriesQuerySchema } from '../dtos/console-query.dto.js';
import type { ModelVersionStats } from '../predictions/model-version-stats.js';
import { PredictionHistoryRepository } from '../repositories/prediction-history.repository.js';
import { RegistryCatalogRepository } from '../repositories/registry-catalog.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';
import { ModelStatsService } from './model-stats.service.js';

export interface ModelRow {
  readonly name: string;
  readonly description: string;
  readonly latest_version: number;
  readonly aliases: Readonly<Record<string, number>>;
  readonly owner: string;
  readonly framework: string;
  readonly updated_at: string;
  /** Predictions counted over all its versions. */
  readonly requests: number;
  readonly failures: number;
}

export interface VersionRow {
  readonly version: number;
  readonly state: string;
  readonly format: string;
  readonly size_bytes: number;
  readonly aliases: readonly string[];
  readonly created_at: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly lineage: registryv1.Lineage__Output | null;
  readonly has_reference_statistics: boolean;
  readonly traces_url: string;
  readonly stats: ModelVersionStats | null;
}

/** The Models view's data: the registry's catalogue, and what the monitor saw each version serve. */
@Injectable()
export class ModelsConsoleService implements OnModuleInit {
  private readonly predictions = new PredictionSeries();

  constructor(
    private readonly registry: RegistryCatalogRepository,
    private readonly history: PredictionHistoryRepository,
    private readonly stats: ModelStatsService,
    private readonly updates: ConsoleUpdatesService,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  onModuleInit(): void {
    this.history.follow((envelope) => this.record(envelope));
  }

  record(envelope: Envelope): void {
    if (envelope.type !== 'inference.prediction.summary') return;
    const summary = envelope.data as EventData<'inference.prediction.summary'>;
    for (const window of summary.windows) {
      const point = this.predictions.add(window, summary.window_start, summary.window_end);
      this.updates.prediction(window.model, window.version, point);
    }
  }

  async models(): Promise<{ models: ModelRow[] }> {
    const totals = this.stats.list();
    const models = await this.registry.listModels();
    return {
      models: models.map((m) => {
        const served = totals.filter((s) => s.model === m.name);
        return {
          name: m.name,
          description: m.description,
          latest_version: m.latest_version,
          aliases: m.aliases,
          owner: m.owner,
          framework: m.framework,
          updated_at: m.updated_at,
          requests: served.reduce((n, s) => n + s.requests, 0),
          failures: served.reduce((n, s) => n + s.failures, 0),
        };
      }),
    };
  }

  /** One model: its card and tags, and each version with lineage, aliases, totals and a traces link. */
  async model(name: string): Promise<{
    name: string;
    description: string;
    model_card: string;
    tags: Record<string, string>;
    aliases: Record<string, number>;
    versions: VersionRow[];
  }> {
    const { model } = parseInput(ModelSeriesQuerySchema, { model: name }, 'model');
    const [card, versions] = await Promise.all([
      this.registry.getModel(model),
      this.registry.listVersions(model),
    ]);
    const totals = this.stats.list(model);
    return {
      name: card.name,
      description: card.description,
      model_card: card.model_card,
      tags: card.tags,
      aliases: card.aliases,
      versions: versions
        .sort((a, b) => b.version - a.version)
        .map((v) => ({
          version: v.version,
          state: v.state,
          format: v.format,
          size_bytes: Number(v.size_bytes),
          aliases: v.aliases,
          created_at: v.created_at,
          tags: v.tags,
          lineage: v.lineage,
          has_reference_statistics: v.has_reference_statistics,
          traces_url: tracesUrl(this.config.monitor.tracesUrlTemplate, model, String(v.version)),
          stats: totals.find((s) => s.version === String(v.version)) ?? null,
        })),
    };
  }

  /** Latency p50/p99, throughput and failures over time for each served version of the model. */
  series(query: unknown): { versions: VersionSeries[] } {
    const { model, points } = parseInput(ModelSeriesQuerySchema, query, 'model series query');
    return { versions: this.predictions.series(model, points) };
  }
}
