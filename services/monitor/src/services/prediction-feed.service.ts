import type { Envelope } from '@aimass/contracts';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { PredictionHistoryRepository } from '../repositories/prediction-history.repository.js';
import { AlertsService } from './alerts.service.js';
import { AnomalyService } from './anomaly.service.js';
import { DriftService } from './drift.service.js';
import { ModelStatsService } from './model-stats.service.js';

/**
 * Feeds inference's prediction summaries to the totals, the drift windows and the anomaly windows.
 * The monitor keeps no state of its own: at start it lists the alerts already raised
 * (AIMASS_EVENTS), then reads AIMASS_PREDICTIONS from its first stored summary, so a restart (a
 * kill -9 too) rebuilds the same counts and closes the same windows, and an alert raised before is
 * recognised by its id instead of being raised twice, while one the killed process never got to
 * publish is raised now.
 */
@Injectable()
export class PredictionFeedService implements OnApplicationBootstrap {
  private readonly logger = new Logger(PredictionFeedService.name);

  constructor(
    private readonly history: PredictionHistoryRepository,
    private readonly stats: ModelStatsService,
    private readonly drift: DriftService,
    private readonly anomaly: AnomalyService,
    private readonly alerts: AlertsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const restored = await this.alerts.restore();
    if (restored > 0) this.logger.log({ alerts: restored }, 'alerts raised before this start listed again');
    this.history.follow((envelope) => this.onSummary(envelope));
  }

  /** Counted first (which also drops a summary seen before), then the windows. */
  private async onSummary(envelope: Envelope): Promise<void> {
    let summary;
    try {
      summary = this.stats.recordSummary(envelope);
    } catch (err) {
      this.logger.warn({ err, id: envelope.id }, 'prediction summary skipped: it does not validate');
      return;
    }
    if (!summary) return;
    await Promise.all([this.drift.recordSummary(summary.data), this.anomaly.recordSummary(summary.data)]);
  }
}
