import type { AimassConfig } from '@aimass/config';
import type { EventData } from '@aimass/contracts';
import { anomalyRateTest } from '@aimass/drift';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { alertId } from '../alerts/alert-record.js';
import { AnomalyWindows, type ClosedAnomalyWindow } from '../anomaly/anomaly-windows.js';
import { AlertEventsRepository } from '../repositories/alert-events.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { AlertsService } from './alerts.service.js';
import { DataHistoryService } from './data-history.service.js';

/**
 * Anomaly rates of live inputs per served version: inference scores a sample of a version's inputs
 * with the detector its `monitor.detector` tag names and ships the counts in the prediction
 * summaries; here they fill tumbling windows of AIMASS_MONITOR_ANOMALY_WINDOW_ROWS scored rows.
 * Each closed window sets the rate gauges, and one whose flagged rows exceed the detector's expected
 * rate by a one-sided binomial test at AIMASS_MONITOR_ANOMALY_SIGNIFICANCE raises
 * `monitor.alert.anomaly` on NATS and is listed by ListAlerts.
 */
@Injectable()
export class AnomalyService {
  private readonly logger = new Logger(AnomalyService.name);
  private readonly windows: AnomalyWindows;
  private readonly significance: number;
  /** Windows are evaluated one after another, in the order they close. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    @Inject(AIMASS_CONFIG) config: AimassConfig,
    private readonly events: AlertEventsRepository,
    private readonly metrics: MetricsRepository,
    private readonly alerts: AlertsService,
    private readonly history: DataHistoryService,
  ) {
    this.windows = new AnomalyWindows(config.monitor.anomaly.windowRows);
    this.significance = config.monitor.anomaly.significance;
  }

  /** Adds the detector counts of one (new) prediction summary to the windows. */
  recordSummary(summary: EventData<'inference.prediction.summary'>): Promise<void> {
    for (const w of summary.windows) {
      if (!w.anomaly || w.anomaly.scored === 0) continue;
      const closed = this.windows.add(
        w.model,
        w.version,
        w.anomaly,
        summary.window_start,
        summary.window_end,
      );
      if (closed) this.chain = this.chain.then(() => this.evaluate(closed));
    }
    return this.chain;
  }

  private async evaluate(window: ClosedAnomalyWindow): Promise<void> {
    const test = anomalyRateTest(window.scored, window.anomalous, window.expectedRate, this.significance);
    this.metrics.recordAnomalyRate(window.model, window.version, test.observedRate, window.expectedRate);
    this.history.anomaly(
      window.model,
      window.version,
      window.end,
      window.scored,
      test.observedRate,
      window.expectedRate,
    );
    this.logger.debug(
      {
        model: window.model,
        version: window.version,
        detector: window.detector,
        scored: window.scored,
        anomalous: window.anomalous,
        pValue: test.pValue,
      },
      'anomaly window evaluated',
    );
    if (!test.exceeded) return;
    const alert: EventData<'monitor.alert.anomaly'> = {
      alert_id: alertId('monitor.alert.anomaly', window.model, window.version, window.start, window.end),
      model: window.model,
      version: window.version,
      detector: window.detector,
      detector_threshold: window.threshold,
      window_start: window.start,
      window_end: window.end,
      scored_rows: window.scored,
      anomalous_rows: window.anomalous,
      observed_rate: test.observedRate,
      expected_rate: window.expectedRate,
      p_value: test.pValue,
      significance: this.significance,
    };
    // Raised before a restart (the replayed stream closed the same window again): nothing happens.
    await this.alerts.raise('monitor.alert.anomaly', alert, (a) => this.events.anomaly(a));
  }
}
