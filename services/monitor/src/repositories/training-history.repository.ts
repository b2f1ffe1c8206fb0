import type { Envelope } from '@aimass/contracts';
import { readEvents, type NatsConnection } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/**
 * The trainer's job events as the console reads them: every one stored in AIMASS_EVENTS, oldest
 * first, then each new one as it is stored. An ordered consumer, so nothing outlives the monitor.
 */
@Injectable()
export class TrainingHistoryRepository implements OnModuleDestroy {
  private readonly logger = new Logger(TrainingHistoryRepository.name);
  private readonly stop = new AbortController();

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  /** Calls `onEvent` for every stored and future job event until the module stops. */
  follow(onEvent: (envelope: Envelope) => void): void {
    void (async () => {
      try {
        for await (const envelope of readEvents(this.nc, {
          types: 'trainer.job.>',
          since: new Date(0),
          signal: this.stop.signal,
        }))
          onEvent(envelope);
      } catch (err) {
        if (!this.stop.signal.aborted)
          this.logger.error(`training history stopped: ${(err as Error).message}`);
      }
    })();
  }

  onModuleDestroy(): void {
    this.stop.abort();
  }
}
