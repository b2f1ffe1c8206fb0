import { encodeEnvelope, makeEnvelope, subjects, type Envelope, type EventData, type EventType } from '@aimass/contracts';
import { UnavailableError } from '@aimass/errors';
import { currentTraceparent } from '@aimass/telemetry';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/**
 * Publishes enveloped events into JetStream. The envelope id doubles as the Nats-Msg-Id, so a retried
 * publish inside the stream's duplicate window is stored once. The active span travels as traceparent.
 */
export class EventBus {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly source: string,
  ) {
    this.js = jetstream(nc);
  }

  async publish<T extends EventType>(natsSubject: string, type: T, about: string, data: EventData<T>): Promise<Envelope<T>> {
    const traceparent = currentTraceparent();
    const envelope = makeEnvelope(type, { source: this.source, subject: about, data, ...(traceparent ? { traceparent } : {}) });
    await this.publishEnvelope(natsSubject, envelope);
    return envelope;
  }

  /** A lifecycle event on AIMASS_EVENTS, under the subject its type names (subjects.event). */
  publishEvent<T extends EventType>(type: T, about: string, data: EventData<T>): Promise<Envelope<T>> {
    return this.publish(subjects.event(type), type, about, data);
  }

  async publishEnvelope(natsSubject: string, envelope: Envelope): Promise<void> {
    try {
      await this.js.publish(natsSubject, encodeEnvelope(envelope), { msgID: envelope.id });
    } catch (cause) {
      throw new UnavailableError(`could not store event ${envelope.type} on ${natsSubject}: ${String(cause)}`, { cause });
    }
  }
}
