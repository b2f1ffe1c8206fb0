import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EVENT_SCHEMAS, type EventData, type EventType } from './events.js';

/** Thrown when bytes on the bus are not a valid envelope, or its data does not fit its type. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Every event on the bus: CloudEvents-like, with a W3C traceparent so traces cross NATS. */
export const EnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  time: z.iso.datetime(),
  subject: z.string(),
  traceparent: z.string().regex(TRACEPARENT).optional(),
  data: z.unknown(),
});

export interface Envelope<T extends EventType = EventType> {
  readonly id: string;
  readonly type: T;
  readonly source: string;
  readonly time: string;
  /** What the event is about, e.g. `models/fraud/versions/3`. */
  readonly subject: string;
  readonly traceparent?: string;
  readonly data: EventData<T>;
}

export function makeEnvelope<T extends EventType>(
  type: T,
  init: {
    source: string;
    subject: string;
    data: EventData<T>;
    traceparent?: string;
    id?: string;
    time?: Date;
  },
): Envelope<T> {
  const data = EVENT_SCHEMAS[type].parse(init.data) as EventData<T>;
  return {
    id: init.id ?? randomUUID(),
    type,
    source: init.source,
    time: (init.time ?? new Date()).toISOString(),
    subject: init.subject,
    ...(init.traceparent ? { traceparent: init.traceparent } : {}),
    data,
  };
}

/** Parses and validates bytes from the bus. Unknown types and bad data throw EnvelopeError. */
export function parseEnvelope(bytes: Uint8Array | string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new EnvelopeError('event is not JSON', { cause });
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) {
    throw new EnvelopeError(`not an aimass event envelope: ${z.prettifyError(envelope.error)}`);
  }
  const type = envelope.data.type;
  if (!(type in EVENT_SCHEMAS)) throw new EnvelopeError(`unknown event type "${type}"`);
  const data = EVENT_SCHEMAS[type as EventType].safeParse(envelope.data.data);
  if (!data.success) throw new EnvelopeError(`invalid data for ${type}: ${z.prettifyError(data.error)}`);
  return { ...envelope.data, type: type as EventType, data: data.data } as Envelope;
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return Buffer.from(JSON.stringify(envelope));
}
