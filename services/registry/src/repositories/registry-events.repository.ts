import { subjects, type EventData } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { currentTraceId } from '@aimass/telemetry';
import { Injectable } from '@nestjs/common';

/** Registry lifecycle events (AIMASS_EVENTS) and the audit trail of every write (AIMASS_AUDIT). */
@Injectable()
export class RegistryEventsRepository {
  constructor(private readonly bus: EventBus) {}

  async modelCreated(data: EventData<'registry.model.created'>): Promise<void> {
    await this.bus.publishEvent('registry.model.created', `models/${data.model}`, data);
  }

  async versionCreated(data: EventData<'registry.version.created'>): Promise<void> {
    await this.bus.publishEvent('registry.version.created', `models/${data.model}/versions/${data.version}`, data);
  }

  async aliasMoved(data: EventData<'registry.alias.moved'>): Promise<void> {
    await this.bus.publishEvent('registry.alias.moved', `models/${data.model}/aliases/${data.alias}`, data);
  }

  async modelUpdated(data: EventData<'registry.model.updated'>): Promise<void> {
    await this.bus.publishEvent('registry.model.updated', `models/${data.model}`, data);
  }

  async versionStateChanged(data: EventData<'registry.version.state_changed'>): Promise<void> {
    await this.bus.publishEvent('registry.version.state_changed', `models/${data.model}/versions/${data.version}`, data);
  }

  async statisticsAttached(data: EventData<'registry.version.statistics_attached'>): Promise<void> {
    await this.bus.publishEvent('registry.version.statistics_attached', `models/${data.model}/versions/${data.version}`, data);
  }

  async audit(actor: string, action: string, resource: string, details: Record<string, unknown> = {}): Promise<void> {
    const traceId = currentTraceId();
    await this.bus.publish(subjects.audit('registry'), 'audit.record', resource, {
      actor,
      action,
      resource,
      details,
      ...(traceId ? { trace_id: traceId } : {}),
    });
  }
}
