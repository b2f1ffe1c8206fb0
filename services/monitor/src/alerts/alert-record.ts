import { createHash } from 'node:crypto';
import type { EventData } from '@aimass/contracts';
import type { AlertRecord } from './alert-log.js';

export type AlertType = 'monitor.alert.drift' | 'monitor.alert.anomaly';

/**
 * An alert's id, the same every time the same window of the same version raises it: a monitor
 * that replays the prediction stream after a restart recognises the alerts it raised before
 * (AlertsService.raised) instead of raising them twice. Formatted as a UUID (version 8, from SHA-256).
 */
export function alertId(
  type: AlertType,
  model: string,
  version: string,
  windowStart: string,
  windowEnd: string,
): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([type, model, version, windowStart, windowEnd]))
    .digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** How ListAlerts and the console show an alert event: one line a person can act on, and the event. */
export function alertRecord<T extends AlertType>(type: T, alert: EventData<T>, silenceId = ''): AlertRecord {
  return {
    id: alert.alert_id,
    type,
    model: alert.model,
    version: alert.version,
    time: alert.window_end,
    summary:
      type === 'monitor.alert.drift'
        ? driftSummary(alert as EventData<'monitor.alert.drift'>)
        : anomalySummary(alert as EventData<'monitor.alert.anomaly'>),
    details_json: JSON.stringify(alert),
    acknowledged: false,
    acknowledged_by: '',
    acknowledged_at: '',
    acknowledged_note: '',
    silenced: silenceId !== '',
    silence_id: silenceId,
  };
}

function driftSummary(a: EventData<'monitor.alert.drift'>): string {
  const worst = [...a.features].sort((x, y) => x.ks_p_value - y.ks_p_value)[0];
  return (
    `${a.model} v${a.version}: input drift in ${a.drifted_features.length || 'many'} of ` +
    `${a.features.length} features (rule ${a.rule}); worst ${worst?.feature ?? '?'} ` +
    `KS p=${worst?.ks_p_value.toExponential(2) ?? '?'}, PSI ${worst?.psi.toFixed(3) ?? '?'}`
  );
}

function anomalySummary(a: EventData<'monitor.alert.anomaly'>): string {
  return (
    `${a.model} v${a.version}: ${a.anomalous_rows} of ${a.scored_rows} sampled rows ` +
    `(${(100 * a.observed_rate).toFixed(2)} %) flagged by detector ${a.detector}, ` +
    `expected ${(100 * a.expected_rate).toFixed(2)} %; binomial p=${a.p_value.toExponential(2)}`
  );
}
