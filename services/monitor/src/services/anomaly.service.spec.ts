import type { AimassConfig } from '@aimass/config';
import { LATENCY_BUCKETS_MS, type EventData } from '@aimass/contracts';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { AlertEventsRepository } from '../repositories/alert-events.repository.js';
import { AlertHistoryRepository } from '../repositories/alert-history.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { AlertsService } from './alerts.service.js';
import { ConsoleUpdatesService } from './console-updates.service.js';
import { DataHistoryService } from './data-history.service.js';
import { AnomalyService } from './anomaly.service.js';

const config = { monitor: { anomaly: { windowRows: 1000, significance: 0.01 } } } as AimassConfig;

function summary(
  scored: number,
  anomalous: number,
  model = 'fraud',
): EventData<'inference.prediction.summary'> {
  return {
    window_start: '2025-01-01T00:00:00.000Z',
    window_end: '2025-01-01T00:00:10.000Z',
    instance: 'inference-1',
    windows: [
      {
        model,
        version: '2',
        requests: scored,
        failures: 0,
        latency_ms_sum: 0,
        latency_ms_max: 0,
        latency_buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
        anomaly: { detector: 'fraud-gmm@3', threshold: 7.25, expected_rate: 0.01, scored, anomalous },
      },
    ],
  };
}

function setup() {
  const anomaly = vi.fn().mockResolvedValue(undefined);
  const recordAnomalyRate = vi.fn();
  const recordAlert = vi.fn();
  const metrics = strictMock<MetricsRepository>({ recordAnomalyRate, recordAlert }, 'MetricsRepository');
  const events = strictMock<AlertEventsRepository>({ anomaly }, 'AlertEventsRepository');
  const updates = new ConsoleUpdatesService();
  const alerts = new AlertsService(
    strictMock<AlertHistoryRepository>({}, 'AlertHistoryRepository'),
    events,
    metrics,
    updates,
  );
  const history = new DataHistoryService(updates);
  const service = new AnomalyService(config, events, metrics, alerts, history);
  return { service, alerts, history, anomaly, recordAnomalyRate, recordAlert };
}

describe('AnomalyService', () => {
  it('measures nothing until a window holds enough scored rows; the expected rate raises nothing', async () => {
    const { service, alerts, anomaly, recordAnomalyRate } = setup();
    await service.recordSummary(summary(600, 6));
    expect(recordAnomalyRate).not.toHaveBeenCalled();
    await service.recordSummary(summary(600, 8));
    expect(recordAnomalyRate).toHaveBeenCalledWith('fraud', '2', 14 / 1200, 0.01);
    expect(anomaly).not.toHaveBeenCalled();
    expect(alerts.listAlerts({})).toEqual({ alerts: [] });
  });

  it('raises monitor.alert.anomaly with the context to act on, and lists it', async () => {
    const { service, alerts, anomaly, recordAlert } = setup();
    await service.recordSummary(summary(1000, 40));
    expect(anomaly).toHaveBeenCalledTimes(1);
    const alert = anomaly.mock.calls[0]![0] as EventData<'monitor.alert.anomaly'>;
    expect(alert).toMatchObject({
      model: 'fraud',
      version: '2',
      detector: 'fraud-gmm@3',
      detector_threshold: 7.25,
      scored_rows: 1000,
      anomalous_rows: 40,
      observed_rate: 0.04,
      expected_rate: 0.01,
      significance: 0.01,
      window_start: '2025-01-01T00:00:00.000Z',
    });
    expect(alert.p_value).toBeLessThan(1e-10);
    expect(recordAlert).toHaveBeenCalledWith('fraud', '2', 'monitor.alert.anomaly');
    const listed = alerts.listAlerts({ model: 'fraud' }).alerts;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: alert.alert_id, type: 'monitor.alert.anomaly' });
    expect(listed[0]!.summary).toContain('40 of 1000');
    expect(JSON.parse(listed[0]!.details_json)).toEqual(alert);
  });

  it('keeps each closed window’s observed and expected rates for the Data view', async () => {
    const { service, history } = setup();
    await service.recordSummary(summary(1000, 10));
    await service.recordSummary(summary(1000, 200));
    const view = history.view('fraud', '2', 100)!;
    expect(view.anomaly_windows).toBe(2);
    expect(view.drift_windows).toBe(0);
    expect(view.anomaly_observed_rate.y).toEqual([0.01, 0.2]);
    expect(view.anomaly_expected_rate.y).toEqual([0.01, 0.01]);
    expect(view.anomaly_observed_rate.x).toEqual([
      Date.parse('2025-01-01T00:00:10.000Z'),
      Date.parse('2025-01-01T00:00:10.000Z'),
    ]);
  });

  it('a window without scored rows (no detector) is skipped', async () => {
    const { service, recordAnomalyRate } = setup();
    const s = summary(0, 0);
    await service.recordSummary(s);
    const { anomaly: _, ...withoutCounts } = s.windows[0]!;
    await service.recordSummary({ ...s, windows: [withoutCounts] });
    expect(recordAnomalyRate).not.toHaveBeenCalled();
  });

  it('an alert NATS refuses is still listed', async () => {
    const { service, alerts, anomaly } = setup();
    anomaly.mockRejectedValueOnce(new Error('no responders'));
    await service.recordSummary(summary(1000, 100));
    expect(alerts.listAlerts({}).alerts).toHaveLength(1);
  });
});
