import { type Envelope } from '@aimass/contracts';
import { readEvents, type NatsConnection } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';

/** The monitor's own events so far (alerts, acknowledgements, silences: `monitor.>`), oldest first. */
@Injectable()
export class AlertHistoryRepository {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  read(): AsyncGenerator<Envelope> {
    return readEvents(this.nc, { types: 'monitor.>', since: new Date(0), follow: false });
  }
}
