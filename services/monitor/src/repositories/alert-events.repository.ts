import type { EventData } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { Injectable } from '@nestjs/common';

/** Publishes alerts as lifecycle events (stream AIMASS_EVENTS, subject aimass.events.monitor.alert.*). */
@Injectable()
export class AlertEventsRepository {
  constructor(private readonly bus: EventBus) {}

  async drift(alert: EventData<'monitor.alert.drift'>): Promise<void> {
    await this.bus.publishEvent(
      'monitor.alert.drift',
      `models/${alert.model}/versions/${alert.version}`,
      alert,
    );
  }

  async anomaly(alert: EventData<'monitor.alert.anomaly'>): Promise<void> {
    await this.bus.publishEvent(
      'monitor.alert.anomaly',
      `models/${alert.model}/versions/${alert.version}`,
      alert,
    );
  }
}
