import type { EventData } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { Injectable } from '@nestjs/common';

/**
 * Publishes alerts, their acknowledgements and silences as lifecycle events (stream AIMASS_EVENTS,
 * subjects aimass.events.monitor.>); the monitor reads them back at start (AlertHistoryRepository).
 */
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

  async acknowledged(ack: EventData<'monitor.alert.acknowledged'>): Promise<void> {
    await this.bus.publishEvent(
      'monitor.alert.acknowledged',
      `models/${ack.model}/versions/${ack.version}/alerts/${ack.alert_id}`,
      ack,
    );
  }

  async silenced(silence: EventData<'monitor.silence.created'>): Promise<void> {
    await this.bus.publishEvent(
      'monitor.silence.created',
      silence.version === ''
        ? `models/${silence.model}/silences/${silence.silence_id}`
        : `models/${silence.model}/versions/${silence.version}/silences/${silence.silence_id}`,
      silence,
    );
  }
}
