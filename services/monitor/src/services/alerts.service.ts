import { EVENT_SCHEMAS, parseInput, type EventData } from '@aimass/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { AlertLog, type AlertRecord } from '../alerts/alert-log.js';
import { alertRecord, type AlertType } from '../alerts/alert-record.js';
import { ListAlertsQuerySchema } from '../dtos/list-alerts.dto.js';
import { AlertHistoryRepository } from '../repositories/alert-history.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';

const ALERT_TYPES: readonly AlertType[] = ['monitor.alert.drift', 'monitor.alert.anomaly'];

/**
 * Every alert raised (drift, anomaly), newest first, for ListAlerts and the console. At start the
 * list is rebuilt from the alert events AIMASS_EVENTS keeps, so a restart loses none, and an alert
 * id seen there is never raised again (ids are per window: alertId).
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger(AlertsService.name);
  private readonly log = new AlertLog();

  constructor(
    private readonly history: AlertHistoryRepository,
    private readonly metrics: MetricsRepository,
  ) {}

  /** Reads the stored alert events; resolves with how many there were. */
  async restore(): Promise<number> {
    let restored = 0;
    for await (const envelope of this.history.read()) {
      const type = ALERT_TYPES.find((t) => t === envelope.type);
      if (!type) continue;
      try {
        const alert = parseInput(EVENT_SCHEMAS[type], envelope.data, type) as EventData<typeof type>;
        if (this.record(type, alert)) restored++;
      } catch (err) {
        this.logger.warn({ err, id: envelope.id }, 'stored alert event skipped: it does not parse');
      }
    }
    return restored;
  }

  /** Whether this alert (by id) was raised already, before a restart too. */
  raised(id: string): boolean {
    return this.log.has(id);
  }

  /** Lists an alert and counts it in the metrics; false when it was listed already. */
  record<T extends AlertType>(type: T, alert: EventData<T>): boolean {
    if (!this.log.add(alertRecord(type, alert))) return false;
    this.metrics.recordAlert(alert.model, alert.version, type);
    return true;
  }

  listAlerts(query: unknown): { alerts: AlertRecord[] } {
    const { model, limit } = parseInput(ListAlertsQuerySchema, query ?? {}, 'list alerts query');
    return { alerts: this.log.list(model, limit) };
  }
}
