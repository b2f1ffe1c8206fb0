import type { AimassConfig } from '@aimass/config';
import type { EventData } from '@aimass/contracts';
import { datasetDrift, type DriftThresholds, type ReferenceDistribution } from '@aimass/drift';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { alertId } from '../alerts/alert-record.js';
import { DriftWindows, type ClosedWindow } from '../drift/drift-windows.js';
import { AlertEventsRepository } from '../repositories/alert-events.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { ReferenceStatisticsRepository } from '../repositories/reference-statistics.repository.js';
import { AlertsService } from './alerts.service.js';
import { DataHistoryService } from './data-history.service.js';

/** How long a version's reference statistics (or their absence) are trusted before asking again. */
const REFERENCE_TTL_MS = 60_000;

/**
 * Drift of live inputs per served version: the input sketches of the prediction summaries fill
 * tumbling windows of AIMASS_MONITOR_DRIFT_WINDOW_ROWS rows; each closed window is compared with
 * the version's reference statistics (PSI, KS, Wasserstein; libs/drift), and a drifted window raises
 * `monitor.alert.drift` on NATS, sets the Prometheus gauges and is listed by ListAlerts (AlertsService).
 */
@Injectable()
export class DriftService {
  private readonly logger = new Logger(DriftService.name);
  private readonly windows: DriftWindows;
  private readonly thresholds: DriftThresholds;
  private readonly references = new Map<
    string,
    { at: number; value: Promise<ReferenceDistribution[] | undefined> }
  >();
  /** Windows are evaluated one after another, in the order they close. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(AIMASS_CONFIG) config: AimassConfig,
    private readonly referenceStatistics: ReferenceStatisticsRepository,
    private readonly events: AlertEventsRepository,
    private readonly metrics: MetricsRepository,
    private readonly alerts: AlertsService,
    private readonly history: DataHistoryService,
  ) {
    const d = config.monitor.drift;
    this.windows = new DriftWindows(d.windowRows);
    this.thresholds = { pValue: d.pValue, driftShare: d.driftShare, psi: d.psi, wasserstein: d.wasserstein };
  }

  /** Folds the input sketches of one (new) prediction summary into the windows. */
  recordSummary(summary: EventData<'inference.prediction.summary'>): Promise<void> {
    for (const w of summary.windows) {
      if (!w.input_sketch?.length) continue;
      const closed = this.windows.add(
        w.model,
        w.version,
        w.input_sketch,
        summary.window_start,
        summary.window_end,
      );
      if (closed) this.chain = this.chain.then(() => this.evaluate(closed));
    }
    return this.chain;
  }

  private reference(model: string, version: string): Promise<ReferenceDistribution[] | undefined> {
    const key = JSON.stringify([model, version]);
    const cached = this.references.get(key);
    if (cached && Date.now() - cached.at < REFERENCE_TTL_MS) return cached.value;
    const value = this.referenceStatistics.get(model, version);
    this.references.set(key, { at: Date.now(), value });
    value.catch(() => this.references.delete(key));
    return value;
  }

  private async evaluate(window: ClosedWindow): Promise<void> {
    try {
      const reference = await this.reference(window.model, window.version);
      if (!reference) {
        this.logger.debug(
          { model: window.model, version: window.version },
          'no reference statistics; drift not measured',
        );
        return;
      }
      const drift = datasetDrift(reference, window.sketch, this.thresholds);
      this.logger.debug(
        {
          model: window.model,
          version: window.version,
          rows: window.sketch.rows,
          drifted: drift.drifted,
          share: drift.drifted_share,
        },
        'drift window evaluated',
      );
      this.metrics.recordDrift(window.model, window.version, drift);
      this.history.drift(window.model, window.version, window.end, reference, window.sketch, drift);
      if (!drift.drifted || drift.rule === '') return;
      const alert: EventData<'monitor.alert.drift'> = {
        alert_id: alertId('monitor.alert.drift', window.model, window.version, window.start, window.end),
        model: window.model,
        version: window.version,
        window_start: window.start,
        window_end: window.end,
        window_rows: window.sketch.rows,
        rule: drift.rule,
        drifted_share: drift.drifted_share,
        p_value_threshold: this.thresholds.pValue,
        drifted_features: drift.features.filter((f) => f.drifted).map((f) => f.feature),
        features: drift.features,
      };
      // Raised before a restart (the replayed stream closed the same window again): nothing happens.
      await this.alerts.raise('monitor.alert.drift', alert, (a) => this.events.drift(a));
    } catch (err) {
      this.logger.warn({ err, model: window.model, version: window.version }, 'drift window not evaluated');
    }
  }
}
