import { subjects, type Envelope } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { JobSubmissionService } from '../services/job-submission.service.js';

@Controller()
export class TrainingEventsController {
  constructor(private readonly jobs: JobSubmissionService) {}

  /** One durable for every trainer node: each request is queued by exactly one of them. */
  @EventPattern<string>(subjects.event('trainer.job.requested'), { durable: 'trainer-requests' })
  onTrainingRequested(envelope: Envelope): Promise<void> {
    return this.jobs.enqueue(envelope);
  }
}
