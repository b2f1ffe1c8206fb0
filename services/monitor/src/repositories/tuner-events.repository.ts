import type { Envelope } from '@aimass/contracts';
import { readEvents, type NatsConnection } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';

/**
 * The tuner's study and trial events from now on (the tuner holds the state; the console only
 * needs to know when a study changed). An ordered consumer, so nothing outlives the monitor.
 */
@Injectable()
export class TunerEventsRepository implements OnModuleDestroy {
  private readonly logger = new Logger(TunerEventsRepository.name);
  private readonly stop = new AbortController();

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  /** Calls `onEvent` for every tuner event stored from now until the module stops. */
  follow(onEvent: (envelope: Envelope) => void): void {
    void (async () => {
      try {
        for await (const envelope of readEvents(this.nc, {
          types: 'tuner.>',
          since: new Date(),
          signal: this.stop.signal,
        }))
          onEvent(envelope);
      } catch (err) {
        if (!this.stop.signal.aborted) this.logger.error(`tuner events stopped: ${(err as Error).message}`);
      }
    })();
  }

  onModuleDestroy(): void {
    this.stop.abort();
  }
}
