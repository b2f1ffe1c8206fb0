import { subjects, type EventData } from '@aimass/contracts';
import { EventBus, type PreparedEvent } from '@aimass/nats';
import { currentTraceId } from '@aimass/telemetry';
import { Injectable } from '@nestjs/common';

/**
 * Registry lifecycle events (AIMASS_EVENTS) and the audit trail of every write (AIMASS_AUDIT). The
 * builders only prepare the envelope, in the request's trace context; RegistryJournal stores it with
 * the change and calls publish() once the change is committed.
 */
@Injectable()
export class RegistryEventsRepository {
  constructor(private readonly bus: EventBus) {}

  modelCreated(data: EventData<'registry.model.created'>): PreparedEvent {
    return this.bus.prepareEvent('registry.model.created', `models/${data.model}`, data);
  }

  versionCreated(data: EventData<'registry.version.created'>): PreparedEvent {
    return this.bus.prepareEvent(
      'registry.version.created',
      `models/${data.model}/versions/${data.version}`,
      data,
    );
  }

  aliasMoved(data: EventData<'registry.alias.moved'>): PreparedEvent {
    return this.bus.prepareEvent('registry.alias.moved', `models/${data.model}/aliases/${data.alias}`, data);
  }

  modelUpdated(data: EventData<'registry.model.updated'>): PreparedEvent {
    return this.bus.prepareEvent('registry.model.updated', `models/${data.model}`, data);
  }

  versionStateChanged(data: EventData<'registry.version.state_changed'>): PreparedEvent {
    return this.bus.prepareEvent(
      'registry.version.state_changed',
      `models/${data.model}/versions/${data.version}`,
      data,
    );
  }

  statisticsAttached(data: EventData<'registry.version.statistics_attached'>): PreparedEvent {
    return this.bus.prepareEvent(
      'registry.version.statistics_attached',
      `models/${data.model}/versions/${data.version}`,
      data,
    );
  }

  audit(
    actor: string,
    action: string,
    resource: string,
    details: Record<string, unknown> = {},
  ): PreparedEvent {
    const traceId = currentTraceId();
    return this.bus.prepare(subjects.audit('registry'), 'audit.record', resource, {
      actor,
      action,
      resource,
      details,
      ...(traceId ? { trace_id: traceId } : {}),
    });
  }

  /** Stores one prepared event; its id makes a repeat inside the stream's duplicate window a no-op. */
  publish(prepared: PreparedEvent): Promise<void> {
    return this.bus.publishEnvelope(prepared.subject, prepared.envelope);
  }
}
