import { subjects, type EventData } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { Injectable } from '@nestjs/common';

/** Publishes batched prediction summaries for the monitor (stream AIMASS_PREDICTIONS). */
@Injectable()
export class PredictionSummaryRepository {
  constructor(private readonly bus: EventBus) {}

  async publish(summary: EventData<'inference.prediction.summary'>): Promise<void> {
    await this.bus.publish(
      subjects.predictions('inference'),
      'inference.prediction.summary',
      'predictions',
      summary,
    );
  }
}
