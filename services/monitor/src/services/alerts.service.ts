import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMAS, parseInput, type EventData } from '@aimass/contracts';
import { NotFoundError } from '@aimass/errors';
import { Injectable, Logger } from '@nestjs/common';
import { AlertLog, type AlertRecord } from '../alerts/alert-log.js';
import { alertRecord, type AlertType } from '../alerts/alert-record.js';
import { Silences, type SilenceEvent, type SilenceRecord } from '../alerts/silences.js';
import {
  AcknowledgeAlertSchema,
  ListSilencesSchema,
  SilenceAlertsSchema,
} from '../dtos/alert-actions.dto.js';
import { ListAlertsQuerySchema } from '../dtos/list-alerts.dto.js';
import { AlertEventsRepository } from '../repositories/alert-events.repository.js';
import { AlertHistoryRepository } from '../repositories/alert-history.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

const ALERT_TYPES: readonly AlertType[] = ['monitor.alert.drift', 'monitor.alert.anomaly'];

type Acknowledgement = EventData<'monitor.alert.acknowledged'>;

/**
 * Every alert raised (drift, anomaly), newest first, for ListAlerts and the console, with who
 * acknowledged it and whether a silence kept it off NATS. At start the list, the acknowledgements
 * and the silences are rebuilt from the events AIMASS_EVENTS keeps (`monitor.>`), so a restart loses
 * none, and an alert id seen there is never raised again (ids are per window: alertId).
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger(AlertsService.name);
  private readonly log = new AlertLog();
  private readonly silences = new Silences();
  /** By alert id; kept apart from the log because a silenced alert is listed only once the replay raises it again. */
  private readonly acks = new Map<string, Acknowledgement>();

  constructor(
    private readonly history: AlertHistoryRepository,
    private readonly events: AlertEventsRepository,
    private readonly metrics: MetricsRepository,
    private readonly updates: ConsoleUpdatesService,
  ) {}

  /** Reads the stored alert, acknowledgement and silence events; resolves with how many alerts there were. */
  async restore(): Promise<number> {
    let restored = 0;
    for await (const envelope of this.history.read()) {
      try {
        if (envelope.type === 'monitor.alert.acknowledged') {
          this.applyAck(parseInput(EVENT_SCHEMAS[envelope.type], envelope.data, envelope.type));
          continue;
        }
        if (envelope.type === 'monitor.silence.created') {
          this.silences.add(parseInput(EVENT_SCHEMAS[envelope.type], envelope.data, envelope.type));
          continue;
        }
        const type = ALERT_TYPES.find((t) => t === envelope.type);
        if (!type) continue;
        const alert = parseInput(EVENT_SCHEMAS[type], envelope.data, type) as EventData<typeof type>;
        if (this.record(type, alert)) restored++;
      } catch (err) {
        this.logger.warn({ err, id: envelope.id }, 'stored monitor event skipped: it does not parse');
      }
    }
    return restored;
  }

  /** Whether this alert (by id) was raised already, before a restart too. */
  raised(id: string): boolean {
    return this.log.has(id);
  }

  /**
   * Raises a new alert: published with `publish` unless a silence covers its window, listed either
   * way. Nothing happens to an alert raised before (a replayed window).
   */
  async raise<T extends AlertType>(
    type: T,
    alert: EventData<T>,
    publish: (alert: EventData<T>) => Promise<void>,
  ): Promise<void> {
    if (this.raised(alert.alert_id)) return;
    const silence = this.silences.covering(type, alert.model, alert.version, alert.window_end);
    if (silence) {
      this.logger.log(
        { alert: alert.alert_id, model: alert.model, version: alert.version, silence: silence.silence_id },
        `${type} silenced: listed, not published`,
      );
    } else {
      try {
        await publish(alert);
      } catch (err) {
        this.logger.warn(
          { err, model: alert.model, version: alert.version },
          `${type} not published; it is still listed by ListAlerts`,
        );
      }
    }
    this.record(type, alert, silence?.silence_id);
  }

  /** Lists an alert and counts it in the metrics; false when it was listed already. */
  record<T extends AlertType>(type: T, alert: EventData<T>, silenceId = ''): boolean {
    const record = withAck(alertRecord(type, alert, silenceId), this.acks.get(alert.alert_id));
    if (!this.log.add(record)) return false;
    this.metrics.recordAlert(alert.model, alert.version, type);
    this.updates.alert(record);
    return true;
  }

  listAlerts(query: unknown): { alerts: AlertRecord[] } {
    const { model, limit } = parseInput(ListAlertsQuerySchema, query ?? {}, 'list alerts query');
    return { alerts: this.log.list(model, limit) };
  }

  /** The listed alert, or NOT_FOUND naming the id. */
  /** The alert with this id, if there is one. */
  find(id: string): AlertRecord | undefined {
    return this.log.get(id);
  }

  get(id: string): AlertRecord {
    const record = this.log.get(id);
    if (!record) throw new NotFoundError(`no alert with id ${id} (ListAlerts lists them)`);
    return record;
  }

  /** Publishes monitor.alert.acknowledged, then marks the alert. A second acknowledgement replaces the first. */
  async acknowledge(request: unknown, now = new Date()): Promise<AlertRecord> {
    const { id, by, note } = parseInput(AcknowledgeAlertSchema, request ?? {}, 'acknowledge alert request');
    const alert = this.get(id);
    const ack: Acknowledgement = {
      alert_id: id,
      model: alert.model,
      version: alert.version,
      alert_type: alert.type,
      by,
      note,
      at: now.toISOString(),
    };
    await this.events.acknowledged(ack);
    this.applyAck(ack);
    this.logger.log({ alert: id, model: alert.model, version: alert.version, by }, 'alert acknowledged');
    return this.get(id);
  }

  /** Publishes monitor.silence.created, then keeps the model's matching alerts off NATS until it ends. */
  async silence(request: unknown, now = new Date()): Promise<SilenceRecord> {
    const r = parseInput(SilenceAlertsSchema, request ?? {}, 'silence alerts request');
    const silence: SilenceEvent = {
      silence_id: randomUUID(),
      model: r.model,
      version: r.version,
      alert_type: r.type,
      starts_at: now.toISOString(),
      ends_at: new Date(now.getTime() + r.duration_seconds * 1000).toISOString(),
      reason: r.reason,
      by: r.by,
    };
    await this.events.silenced(silence);
    this.silences.add(silence);
    this.logger.log(
      { silence: silence.silence_id, model: r.model, ends: silence.ends_at },
      'alerts silenced',
    );
    const record = this.silences.list(r.model, true, now).find((s) => s.id === silence.silence_id)!;
    this.updates.silence(record);
    return record;
  }

  listSilences(request: unknown, now = new Date()): { silences: SilenceRecord[] } {
    const { model, include_expired } = parseInput(ListSilencesSchema, request ?? {}, 'list silences request');
    return { silences: this.silences.list(model, include_expired, now) };
  }

  private applyAck(ack: Acknowledgement): void {
    this.acks.set(ack.alert_id, ack);
    const record = this.log.get(ack.alert_id);
    if (!record) return;
    const updated = withAck(record, ack);
    this.log.update(updated);
    this.updates.alert(updated);
  }
}

function withAck(record: AlertRecord, ack: Acknowledgement | undefined): AlertRecord {
  if (!ack) return record;
  return {
    ...record,
    acknowledged: true,
    acknowledged_by: ack.by,
    acknowledged_at: ack.at,
    acknowledged_note: ack.note,
  };
}
