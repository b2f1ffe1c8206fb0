import { subjects, type Envelope } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { AnomalyService } from '../services/anomaly.service.js';
import { DriftService } from '../services/drift.service.js';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class PredictionsEventsController {
  constructor(
    private readonly stats: ModelStatsService,
    private readonly drift: DriftService,
    private readonly anomaly: AnomalyService,
  ) {}

  /**
   * Counted first (which also drops a summary seen before), then its input sketches fill drift
   * windows and its detector counts anomaly windows.
   */
  @EventPattern(subjects.allPredictions, { durable: 'monitor-predictions' })
  async onPredictionSummary(envelope: Envelope): Promise<void> {
    const summary = this.stats.recordSummary(envelope);
    if (!summary) return;
    await Promise.all([this.drift.recordSummary(summary.data), this.anomaly.recordSummary(summary.data)]);
  }
}
