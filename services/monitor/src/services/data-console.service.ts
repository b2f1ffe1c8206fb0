import { parseInput } from '@aimass/contracts';
import { Injectable } from '@nestjs/common';
import type { AlertRecord } from '../alerts/alert-log.js';
import type { VersionLiveView } from '../drift/data-history.js';
import { VersionLiveQuerySchema, VersionRefSchema } from '../dtos/console-query.dto.js';
import { RegistryCatalogRepository } from '../repositories/registry-catalog.repository.js';
import { AlertsService } from './alerts.service.js';
import { DataHistoryService } from './data-history.service.js';

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

/** The Data view's live side of a version: its closed windows (thinned), and its alerts. */
export interface VersionLive extends VersionLiveView {
  readonly model: string;
  readonly version: string;
  readonly alerts: readonly AlertRecord[];
}

/** Alerts shown on the Data view's timeline. */
const TIMELINE_ALERTS = 500;

/**
 * The Data view: per-feature reference statistics the trainer stored with a version, and what the
 * monitor measured of its live inputs (DataHistoryService) with the alerts on the same timeline.
 */
@Injectable()
export class DataConsoleService {
  constructor(
    private readonly registry: RegistryCatalogRepository,
    private readonly history: DataHistoryService,
    private readonly alerts: AlertsService,
  ) {}

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

  /** Empty series when no window of the version closed yet (no traffic, or no reference statistics). */
  live(params: unknown): VersionLive {
    const { model, version, points } = parseInput(VersionLiveQuerySchema, params, 'live data query');
    const view = this.history.view(model, version, points) ?? {
      drift_windows: 0,
      anomaly_windows: 0,
      features: [],
      drifted: { x: [], y: [] },
      anomaly_observed_rate: { x: [], y: [] },
      anomaly_expected_rate: { x: [], y: [] },
    };
    const alerts = this.alerts
      .listAlerts({ model, limit: 10_000 })
      .alerts.filter((a) => a.version === version)
      .slice(0, TIMELINE_ALERTS);
    return { model, version, ...view, alerts };
  }
}
