import type { AimassConfig } from '@aimass/config';
import { LATENCY_BUCKETS_MS, type EventData } from '@aimass/contracts';
import { columnStatistics, columnSummaries } from '@aimass/datasets';
import { InputSketch, ReferenceDistribution } from '@aimass/drift';
import { InvalidArgumentError } from '@aimass/errors';
import { SeededRandom } from '@aimass/random';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { AlertEventsRepository } from '../repositories/alert-events.repository.js';
import { AlertHistoryRepository } from '../repositories/alert-history.repository.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { ReferenceStatisticsRepository } from '../repositories/reference-statistics.repository.js';
import { AlertsService } from './alerts.service.js';
import { ConsoleUpdatesService } from './console-updates.service.js';
import { DataHistoryService } from './data-history.service.js';
import { DriftService } from './drift.service.js';

const FEATURES = 3;
const rng = new SeededRandom(12);
const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const rows = (n: number, shift = 0) =>
  Float32Array.from({ length: n * FEATURES }, (_, i) => normal() + (i % FEATURES === 1 ? shift : 0));

const reference = columnSummaries(columnStatistics(rows(5000), 5000, FEATURES), ['a', 'b', 'c']).map(
  (f) => new ReferenceDistribution(f),
);

const config = {
  monitor: { drift: { windowRows: 1000, pValue: 0.05, driftShare: 0.5, psi: 0.1, wasserstein: 0.1 } },
} as AimassConfig;

function summary(n: number, shift = 0): EventData<'inference.prediction.summary'> {
  const sketch = new InputSketch(FEATURES);
  sketch.foldRows(rows(n, shift), n, FEATURES);
  return {
    window_start: '2025-01-01T00:00:00.000Z',
    window_end: '2025-01-01T00:00:10.000Z',
    instance: 'inference-1',
    windows: [
      {
        model: 'fraud',
        version: '2',
        requests: n,
        failures: 0,
        latency_ms_sum: 0,
        latency_ms_max: 0,
        latency_buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
        input_sketch: sketch.toWire(),
      },
    ],
  };
}

function setup(statistics: ReferenceDistribution[] | null = reference) {
  const get = vi.fn().mockResolvedValue(statistics ?? undefined);
  const drift = vi.fn().mockResolvedValue(undefined);
  const recordDrift = vi.fn();
  const recordAlert = vi.fn();
  const metrics = strictMock<MetricsRepository>({ recordDrift, recordAlert }, 'MetricsRepository');
  const events = strictMock<AlertEventsRepository>({ drift }, 'AlertEventsRepository');
  const updates = new ConsoleUpdatesService();
  const alerts = new AlertsService(
    strictMock<AlertHistoryRepository>({}, 'AlertHistoryRepository'),
    events,
    metrics,
    updates,
  );
  const history = new DataHistoryService(updates);
  const service = new DriftService(
    config,
    strictMock<ReferenceStatisticsRepository>({ get }, 'ReferenceStatisticsRepository'),
    events,
    metrics,
    alerts,
    history,
  );
  return { service, alerts, history, get, drift, recordDrift, recordAlert };
}

describe('DriftService', () => {
  it('evaluates nothing until a window is full, then raises no alert for in-distribution rows', async () => {
    const { service, alerts, get, drift, recordDrift } = setup();
    await service.recordSummary(summary(600));
    expect(get).not.toHaveBeenCalled();
    await service.recordSummary(summary(600));
    expect(get).toHaveBeenCalledWith('fraud', '2');
    expect(recordDrift).toHaveBeenCalledTimes(1);
    expect(recordDrift.mock.calls[0]![2]).toMatchObject({ drifted: false });
    expect(drift).not.toHaveBeenCalled();
    expect(alerts.listAlerts({})).toEqual({ alerts: [] });
  });

  it('raises monitor.alert.drift naming the shifted feature and lists it', async () => {
    const { service, alerts: log, drift, recordAlert } = setup();
    await service.recordSummary(summary(1000, 0.5));
    expect(drift).toHaveBeenCalledTimes(1);
    const alert = drift.mock.calls[0]![0] as EventData<'monitor.alert.drift'>;
    expect(alert).toMatchObject({
      model: 'fraud',
      version: '2',
      rule: 'bonferroni',
      drifted_features: ['b'],
    });
    expect(recordAlert).toHaveBeenCalledWith('fraud', '2', 'monitor.alert.drift');
    const { alerts } = log.listAlerts({ model: 'fraud' });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: alert.alert_id, type: 'monitor.alert.drift', model: 'fraud' });
    expect(log.listAlerts({ model: 'other' })).toEqual({ alerts: [] });
  });

  it('measures nothing for a version without reference statistics', async () => {
    const { service, drift, recordDrift } = setup(null);
    await service.recordSummary(summary(1000, 3));
    expect(recordDrift).not.toHaveBeenCalled();
    expect(drift).not.toHaveBeenCalled();
  });

  it.each([
    [{ limit: -1 }, 'limit'],
    [{ limit: 20_000 }, 'limit'],
    [{ model: 'x'.repeat(129) }, 'model'],
  ])('refuses ListAlerts %j naming %s', (query, field) => {
    const { alerts } = setup();
    expect(() => alerts.listAlerts(query)).toThrow(InvalidArgumentError);
    expect(() => alerts.listAlerts(query)).toThrow(field);
  });
});

describe('DriftService: the Data view history', () => {
  it('keeps each closed window’s scores and the latest live histograms on the reference’s edges', async () => {
    const { service, history } = setup();
    expect(history.view('fraud', '2', 100)).toBeUndefined();
    await service.recordSummary(summary(1000));
    await service.recordSummary(summary(1000, 3));
    const view = history.view('fraud', '2', 100)!;
    expect(view.drift_windows).toBe(2);
    expect(view.features.map((f) => f.name)).toEqual(['a', 'b', 'c']);
    expect(view.drifted.y).toEqual([0, 1]);
    const b = view.features[1]!;
    expect(b.psi.y).toHaveLength(2);
    expect(b.psi.y[1]!).toBeGreaterThan(1);
    expect(b.ks_p_value.y[1]!).toBeLessThan(1e-6);
    // The latest window, shifted by 3 standard deviations: b's values above the reference's top edge
    // (about 3.5) are those of N(0, 1) above 0.5, some 30 %; its upper half holds nearly all of them.
    const live = b.live!;
    expect(live.rows).toBe(1000);
    expect(live.edges).toEqual(reference[1]!.binProportions().edges);
    expect(live.counts.reduce((x, y) => x + y, 0) + live.below + live.above).toBe(1000);
    expect(live.above).toBeGreaterThan(200);
    const half = Math.floor(live.counts.length / 2);
    expect(live.counts.slice(half).reduce((x, y) => x + y, 0) + live.above).toBeGreaterThan(950);
    const a = view.features[0]!.live!;
    expect(a.below + a.above).toBeLessThan(20);
  });

  it('thins long series to the points asked for, keeping the extremes', async () => {
    const { service, history } = setup();
    for (let i = 0; i < 30; i++) await service.recordSummary(summary(1000, i === 17 ? 3 : 0));
    const view = history.view('fraud', '2', 10)!;
    expect(view.drift_windows).toBe(30);
    expect(view.drifted.x.length).toBeLessThanOrEqual(10);
    expect(Math.max(...(view.drifted.y as number[]))).toBe(1);
  });
});

describe('DriftService after a restart', () => {
  it('does not raise again an alert the stored alert events already hold, and raises one they lack', async () => {
    // The first life: the window of 1,200 shifted rows raises an alert.
    const first = setup();
    await first.service.recordSummary(summary(600, 3));
    await first.service.recordSummary(summary(600, 3));
    const raised = first.drift.mock.calls[0]![0] as EventData<'monitor.alert.drift'>;
    // The second life replays the same summaries; the alert is in the stored history.
    const replay = setup();
    replay.alerts.record('monitor.alert.drift', raised);
    await replay.service.recordSummary(summary(600, 3));
    await replay.service.recordSummary(summary(600, 3));
    expect(replay.drift).not.toHaveBeenCalled();
    expect(replay.alerts.listAlerts({}).alerts.map((a) => a.id)).toEqual([raised.alert_id]);
    // A life that died before publishing: the history lacks it, so the replay raises it, same id.
    const lost = setup();
    await lost.service.recordSummary(summary(600, 3));
    await lost.service.recordSummary(summary(600, 3));
    expect((lost.drift.mock.calls[0]![0] as EventData<'monitor.alert.drift'>).alert_id).toBe(raised.alert_id);
  });
});
