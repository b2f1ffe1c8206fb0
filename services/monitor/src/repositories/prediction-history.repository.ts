import { parseEnvelope, STREAMS, type Envelope } from '@aimass/contracts';
import type { NatsConnection } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/**
 * Inference's prediction summaries: every one AIMASS_PREDICTIONS still keeps (its retention bounds
 * the history), then each new one, in stream order. Each reader gets its own ordered consumer, which
 * nothing on the server outlives: after a restart the totals, the drift and anomaly windows and the
 * console's series are rebuilt whole from the stream.
 */
@Injectable()
export class PredictionHistoryRepository implements OnModuleDestroy {
  private readonly logger = new Logger(PredictionHistoryRepository.name);
  private stopConsuming: (() => void) | undefined;
  private stopped = false;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  /**
   * Calls `onSummary` for every stored and future message that is a valid envelope, one at a time:
   * the next message waits for the promise `onSummary` returns.
   */
  follow(onSummary: (envelope: Envelope) => void | Promise<void>): void {
    void (async () => {
      try {
        const consumer = await jetstream(this.nc).consumers.get(STREAMS.predictions.name, {
          deliver_policy: DeliverPolicy.All,
        });
        const messages = await consumer.consume();
        this.stopConsuming = () => void messages.stop();
        if (this.stopped) this.stopConsuming();
        for await (const message of messages) {
          let envelope: Envelope;
          try {
            envelope = parseEnvelope(message.data);
          } catch {
            continue; // a reader cannot fix bytes that are not an envelope; ModelStatsService logs them
          }
          await onSummary(envelope);
        }
      } catch (err) {
        if (!this.stopped) this.logger.error(`prediction history stopped: ${(err as Error).message}`);
      }
    })();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.stopConsuming?.();
  }
}
