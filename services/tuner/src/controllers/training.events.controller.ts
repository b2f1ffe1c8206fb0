import type { Envelope } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { TrainingTrialsService } from '../services/training-trials.service.js';

@Controller()
export class TrainingEventsController {
  constructor(private readonly trials: TrainingTrialsService) {}

  /**
   * Every trainer job event, in order, through one durable shared by tuner processes: a trial's
   * progress, result or failure. Acked only after the study records it, so a tuner killed mid-way
   * gets the event again after a restart (recording it twice changes nothing).
   */
  @EventPattern<string>('aimass.events.trainer.job.>', { durable: 'tuner-trainer-jobs' })
  onJobEvent(envelope: Envelope): Promise<void> {
    return this.trials.onJobEvent(envelope);
  }
}
