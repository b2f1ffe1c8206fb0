import { makeEnvelope, subjects, type EventData, type EventType } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { NATS_CONNECTION, SERVICE_NAME } from '@aimass/runtime';
import { currentTraceparent } from '@aimass/telemetry';
import type { NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable } from '@nestjs/common';

export type TrainingJob = EventData<'trainer.job.requested'> & { readonly job_id: string };
export type JobFailure = EventData<'trainer.job.failed'>;

type JobEventType = Extract<EventType, `trainer.job.${string}`>;

/** The trainer's side of NATS: the training work queue, the job events and node heartbeats it publishes. */
@Injectable()
export class JobQueueRepository {
  constructor(
    private readonly bus: EventBus,
    @Inject(SERVICE_NAME) private readonly service: string,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
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
    await this.publish('trainer.job.failed', failure);
  }

  /** A job lifecycle or progress event on `aimass.events.<type>` (stream AIMASS_EVENTS). */
  async publish<T extends JobEventType>(type: T, data: EventData<T> & { job_id: string }): Promise<void> {
    await this.bus.publishEvent(type, `jobs/${data.job_id}`, data);
  }

  /** Liveness: core NATS, not stored; nobody needs yesterday's heartbeats. */
  heartbeat(data: EventData<'trainer.node.heartbeat'>): void {
    const envelope = makeEnvelope('trainer.node.heartbeat', {
      source: `aimass/${this.service}`,
      subject: `nodes/${data.node_id}`,
      data,
    });
    this.nc.publish(subjects.heartbeat(this.service, data.node_id), JSON.stringify(envelope));
  }
}
