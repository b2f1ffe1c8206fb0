import { subjects, type Envelope } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { TrainingJobService } from '../services/training-job.service.js';
import { TRAINER_POOL } from '../trainer/trainer-pool.js';

@Controller()
export class TrainingEventsController {
  constructor(private readonly jobs: TrainingJobService) {}

  /** One durable for every trainer node: each request is queued by exactly one of them. */
  @EventPattern<string>(subjects.event('trainer.job.requested'), { durable: 'trainer-requests' })
  onTrainingRequested(envelope: Envelope): Promise<void> {
    return this.jobs.enqueue(envelope);
  }

  /** The nodes of one pool share its durable, so the work queue hands each job to one of them. */
  @EventPattern<string>(subjects.trainJob(TRAINER_POOL), { durable: `trainer-${TRAINER_POOL}` })
  onTrainingJob(envelope: Envelope): Promise<void> {
    return this.jobs.run(envelope);
  }
}
