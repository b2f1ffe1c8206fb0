import { parseEnvelope, subjects, type EventData } from '@aimass/contracts';
import type { NatsConnection } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';

export type NodeHeartbeat = EventData<'trainer.node.heartbeat'>;

/** Trainer nodes' liveness beats (core NATS, not stored: a node is known from its next beat). */
@Injectable()
export class NodeHeartbeatsRepository implements OnModuleDestroy {
  private subscription: { unsubscribe(): void } | undefined;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  follow(onBeat: (beat: NodeHeartbeat, time: string) => void): void {
    this.subscription = this.nc.subscribe(subjects.heartbeat('trainer', '*'), {
      callback: (err, message) => {
        if (err) return;
        try {
          const envelope = parseEnvelope(message.data);
          if (envelope.type === 'trainer.node.heartbeat')
            onBeat(envelope.data as NodeHeartbeat, envelope.time);
        } catch {
          // a beat that is not an envelope names no node to show
        }
      },
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
