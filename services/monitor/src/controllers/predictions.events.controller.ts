import { subjects, type Envelope } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class PredictionsEventsController {
  constructor(private readonly stats: ModelStatsService) {}

  @EventPattern(subjects.allPredictions, { durable: 'monitor-predictions' })
  onPredictionSummary(envelope: Envelope): void {
    return this.stats.recordSummary(envelope);
  }
}
