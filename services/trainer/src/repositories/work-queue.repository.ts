import { parseEnvelope, STREAMS, subjects, trainerPoolConsumer, type Envelope } from '@aimass/contracts';
import { NATS_CONNECTION } from '@aimass/runtime';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable, Logger } from '@nestjs/common';

/** How long a job may go without an in-progress ack before JetStream hands it to another node. */
export const JOB_ACK_WAIT_MS = 10_000;
const WORKING_EVERY_MS = 3_000;

/** What the handler of one pulled job decides. */
export type JobDisposition = 'done' | 'retry';

export interface PulledJob {
  readonly envelope: Envelope;
  readonly deliveryCount: number;
}

/**
 * The pool's work queue as a durable pull consumer (`trainer-<pool>`, shared by every node of the
 * pool, max_ack_pending = concurrency). Each node runs `concurrency` pull loops. While a handler
 * runs, the message gets an in-progress ack every few seconds: the heartbeat that keeps the job
 * with this node. A node that dies stops sending them, and the job is redelivered to another.
 */
@Injectable()
export class WorkQueueRepository {
  private readonly logger = new Logger(WorkQueueRepository.name);
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async start(
    pool: string,
    concurrency: number,
    handle: (job: PulledJob) => Promise<JobDisposition>,
  ): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const durable = trainerPoolConsumer(pool);
    const config = {
      durable_name: durable,
      filter_subject: subjects.trainJob(pool),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(JOB_ACK_WAIT_MS),
      max_ack_pending: concurrency,
      max_deliver: 50,
    };
    try {
      await jsm.consumers.info(STREAMS.jobs.name, durable);
      await jsm.consumers.update(STREAMS.jobs.name, durable, {
        ack_wait: config.ack_wait,
        max_ack_pending: concurrency,
        max_deliver: config.max_deliver,
      });
    } catch {
      await jsm.consumers.add(STREAMS.jobs.name, config);
    }
    const consumer = await jetstream(this.nc).consumers.get(STREAMS.jobs.name, durable);
    this.running = true;
    this.loops = Array.from({ length: concurrency }, () => this.pullLoop(consumer, handle));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
  }

  private async pullLoop(
    consumer: Consumer,
    handle: (job: PulledJob) => Promise<JobDisposition>,
  ): Promise<void> {
    while (this.running && !this.nc.isClosed()) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: 2_000 });
      } catch (err) {
        if (!this.running) return;
        this.logger.warn(`pulling a job failed: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        continue;
      }
      if (msg) await this.process(msg, handle);
    }
  }

  private async process(msg: JsMsg, handle: (job: PulledJob) => Promise<JobDisposition>): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(msg.data);
    } catch (err) {
      this.logger.error(`dropping a job message that is not an envelope: ${(err as Error).message}`);
      msg.term();
      return;
    }
    const beat = setInterval(() => msg.working(), WORKING_EVERY_MS);
    try {
      const disposition = await handle({ envelope, deliveryCount: msg.info.deliveryCount });
      if (disposition === 'done') msg.ack();
      else msg.nak(Math.min(30_000, 1_000 * 2 ** msg.info.deliveryCount));
    } catch (err) {
      this.logger.error(`job ${envelope.id} failed unexpectedly and will be redelivered: ${String(err)}`);
      msg.nak(Math.min(30_000, 1_000 * 2 ** msg.info.deliveryCount));
    } finally {
      clearInterval(beat);
    }
  }
}
