import { makeEnvelope, subjects, type EventData } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { SERVICE_NAME } from '@aimass/runtime';
import { currentTraceparent } from '@aimass/telemetry';
import { Inject, Injectable } from '@nestjs/common';

export type TrainingJob = EventData<'trainer.job.requested'> & { readonly job_id: string };
export type JobFailure = EventData<'trainer.job.failed'>;

/** The trainer's side of NATS: the training work queue, and the job events it publishes. */
@Injectable()
export class JobQueueRepository {
  constructor(
    private readonly bus: EventBus,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  /**
   * Puts a job on its pool's work queue (`aimass.jobs.train.<pool>`). The job id is the envelope id
   * and so the Nats-Msg-Id: the same job queued again within the stream's duplicate window is
   * stored once.
   */
  async enqueue(job: TrainingJob): Promise<void> {
    const traceparent = currentTraceparent();
    const envelope = makeEnvelope('trainer.job.requested', {
      id: job.job_id,
      source: `aimass/${this.service}`,
      subject: `jobs/${job.job_id}`,
      data: job,
      ...(traceparent ? { traceparent } : {}),
    });
    await this.bus.publishEnvelope(subjects.trainJob(job.pool), envelope);
  }

  async reportFailed(failure: JobFailure): Promise<void> {
    await this.bus.publish(subjects.event('trainer.job.failed'), 'trainer.job.failed', `jobs/${failure.job_id}`, failure);
  }
}
