import { parseEnvelope, STREAMS, subjects, type Envelope } from '@aimass/contracts';
import { UnavailableError } from '@aimass/errors';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

export interface EventHistoryOptions {
  /** Event types to read, as a NATS filter below `aimass.events.`, e.g. `trainer.job.>`. */
  readonly types: string;
  /** The first event read is the first one stored at or after this time. */
  readonly since: Date;
  /** Stops the read (the iterator then ends). */
  readonly signal?: AbortSignal;
  /** false: end once every event stored so far was read, instead of waiting for new ones. */
  readonly follow?: boolean;
}

/**
 * Reads stored events from the AIMASS_EVENTS stream, oldest first, then (unless `follow` is false)
 * every new one as it is stored, until the caller stops iterating or the signal aborts. An ordered consumer: nothing is
 * created on the server that outlives the reader, and a reader never needs the publisher to be
 * alive, which is how a client follows a training job that moves from one node to another.
 * Bytes that are not a valid envelope are skipped: a reader cannot fix them and must not stop on them.
 */
export async function* readEvents(
  nc: NatsConnection,
  options: EventHistoryOptions,
): AsyncGenerator<Envelope> {
  const js = jetstream(nc);
  const stream = STREAMS.events;
  const follow = options.follow ?? true;
  let consumer;
  try {
    consumer = await js.consumers.get(stream.name, {
      // One filter, as a string: nats-server before 2.10 (Debian's) takes no list of filters.
      filter_subjects: subjects.event(options.types),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: options.since.toISOString(),
    });
  } catch (cause) {
    throw new UnavailableError(`cannot read the event stream ${stream.name}: ${String(cause)}`, { cause });
  }
  if (!follow && (await consumer.info(true)).num_pending === 0) return;
  const messages = await consumer.consume();
  const stop = () => void messages.stop();
  options.signal?.addEventListener('abort', stop);
  try {
    if (options.signal?.aborted) return;
    for await (const message of messages) {
      let envelope: Envelope;
      try {
        envelope = parseEnvelope(message.data);
      } catch {
        if (!follow && message.info.pending === 0) return;
        continue;
      }
      yield envelope;
      if (!follow && message.info.pending === 0) return;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
}
