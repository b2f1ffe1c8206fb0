import { parseInput } from '@aimass/contracts';
import { Injectable } from '@nestjs/common';
import { AlertLog, type AlertRecord } from '../alerts/alert-log.js';
import { ListAlertsQuerySchema } from '../dtos/list-alerts.dto.js';

/** Every alert this monitor raised since it started (drift, anomaly), newest first, for ListAlerts. */
@Injectable()
export class AlertsService {
  private readonly log = new AlertLog();

  add(record: AlertRecord): void {
    this.log.add(record);
  }

  listAlerts(query: unknown): { alerts: AlertRecord[] } {
    const { model, limit } = parseInput(ListAlertsQuerySchema, query ?? {}, 'list alerts query');
    return { alerts: this.log.list(model, limit) };
  }
}
