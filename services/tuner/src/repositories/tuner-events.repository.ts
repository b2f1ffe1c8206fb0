import type { EventData, EventType } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { Injectable } from '@nestjs/common';

type TunerEventType = Extract<EventType, `tuner.${string}`>;

/** The tuner's lifecycle events on `aimass.events.tuner.*` (stream AIMASS_EVENTS). */
@Injectable()
export class TunerEventsRepository {
  constructor(private readonly bus: EventBus) {}

  async publish<T extends TunerEventType>(type: T, data: EventData<T> & { study_id: string }): Promise<void> {
    const about =
      'trial' in data ? `studies/${data.study_id}/trials/${String(data.trial)}` : `studies/${data.study_id}`;
    await this.bus.publishEvent(type, about, data);
  }
}
