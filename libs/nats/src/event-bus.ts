import {
  encodeEnvelope,
  makeEnvelope,
  subjects,
  type Envelope,
  type EventData,
  type EventType,
} from '@aimass/contracts';
import { UnavailableError } from '@aimass/errors';
import { currentTraceparent } from '@aimass/telemetry';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';

/** An envelope and the subject it goes to, built now and published later (see EventBus.prepare). */
export interface PreparedEvent<T extends EventType = EventType> {
  readonly subject: string;
  readonly envelope: Envelope<T>;
}

/**
 * Publishes enveloped events into JetStream. The envelope id doubles as the Nats-Msg-Id, so a retried
 * publish inside the stream's duplicate window is stored once. The active span travels as traceparent.
 */
export class EventBus {
  private client: JetStreamClient | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly source: string,
  ) {}

  /** Made on first publish: preparing envelopes needs no connection. */
  private get js(): JetStreamClient {
    return (this.client ??= jetstream(this.nc));
  }

  async publish<T extends EventType>(
    natsSubject: string,
    type: T,
    about: string,
    data: EventData<T>,
  ): Promise<Envelope<T>> {
    const prepared = this.prepare(natsSubject, type, about, data);
    await this.publishEnvelope(prepared.subject, prepared.envelope);
    return prepared.envelope;
  }

  /** A lifecycle event on AIMASS_EVENTS, under the subject its type names (subjects.event). */
  publishEvent<T extends EventType>(type: T, about: string, data: EventData<T>): Promise<Envelope<T>> {
    return this.publish(subjects.event(type), type, about, data);
  }

  /**
   * What publish() would send, built and validated now, with the active span as traceparent, to be
   * published later, possibly more than once (its id makes repeats inside the duplicate window one).
   */
  prepare<T extends EventType>(
    natsSubject: string,
    type: T,
    about: string,
    data: EventData<T>,
  ): PreparedEvent<T> {
    const traceparent = currentTraceparent();
    return {
      subject: natsSubject,
      envelope: makeEnvelope(type, {
        source: this.source,
        subject: about,
        data,
        ...(traceparent ? { traceparent } : {}),
      }),
    };
  }

  /** prepare() for a lifecycle event on AIMASS_EVENTS. */
  prepareEvent<T extends EventType>(type: T, about: string, data: EventData<T>): PreparedEvent<T> {
    return this.prepare(subjects.event(type), type, about, data);
  }

  async publishEnvelope(natsSubject: string, envelope: Envelope): Promise<void> {
    try {
      await this.js.publish(natsSubject, encodeEnvelope(envelope), { msgID: envelope.id });
    } catch (cause) {
      throw new UnavailableError(
        `could not store event ${envelope.type} on ${natsSubject}: ${String(cause)}`,
        { cause },
      );
    }
  }
}
