import { parseEnvelope, STREAMS, type Envelope } from '@aimass/contracts';
import type { NatsConnection } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/**
 * Inference's prediction summaries as the console reads them: every one AIMASS_PREDICTIONS still
 * keeps (its retention bounds the history), then each new one. An ordered consumer, apart from the
 * durable one that feeds the totals, so the console's series come back whole after a restart.
 */
@Injectable()
export class PredictionHistoryRepository implements OnModuleDestroy {
  private readonly logger = new Logger(PredictionHistoryRepository.name);
  private stopConsuming: (() => void) | undefined;
  private stopped = false;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  /** Calls `onSummary` for every stored and future message that is a valid envelope. */
  follow(onSummary: (envelope: Envelope) => void): void {
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
            continue; // the totals' consumer reports bad summaries; the series just skip them
          }
          onSummary(envelope);
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
