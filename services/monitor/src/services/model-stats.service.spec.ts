import { InvalidArgumentError } from '@aimass/errors';
import { LATENCY_BUCKETS_MS, type PredictionWindow } from '@aimass/contracts';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { MetricsRepository } from '../repositories/metrics.repository.js';
import { ModelStatsService } from './model-stats.service.js';

function buckets(entries: Record<number, number>, overflow = 0): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const [bound, count] of Object.entries(entries))
    counts[LATENCY_BUCKETS_MS.indexOf(Number(bound) as never)] = count;
  counts[LATENCY_BUCKETS_MS.length] = overflow;
  return counts;
}

function window(overrides: Partial<PredictionWindow> = {}): PredictionWindow {
  return {
    model: 'fraud',
    version: '1',
    requests: 10,
    failures: 1,
    latency_ms_sum: 40,
    latency_ms_max: 9,
    latency_buckets: buckets({ 5: 8, 10: 2 }),
    ...overrides,
  };
}

let ids = 0;
function summary(
  windows: PredictionWindow[],
  windowEnd = '2025-01-01T00:00:10.000Z',
  id = `summary-${++ids}`,
) {
  return {
    id,
    type: 'inference.prediction.summary',
    source: 'aimass/inference',
    time: windowEnd,
    subject: 'predictions',
    data: {
      window_start: '2025-01-01T00:00:00.000Z',
      window_end: windowEnd,
      instance: 'inference-1',
      windows,
    },
  };
}

function setup() {
  const recordWindow = vi.fn();
  const service = new ModelStatsService(strictMock<MetricsRepository>({ recordWindow }, 'MetricsRepository'));
  return { service, recordWindow };
}

describe('ModelStatsService', () => {
  it('knows no model before any summary', () => {
    expect(setup().service.getModelStats({})).toEqual({ stats: [] });
  });

  it('adds up windows of one model version across summaries and feeds the metrics', () => {
    const { service, recordWindow } = setup();
    const first = window();
    const second = window({
      requests: 30,
      failures: 0,
      latency_ms_sum: 200,
      latency_ms_max: 40,
      latency_buckets: buckets({ 5: 20, 50: 10 }),
    });
    service.recordSummary(summary([first], '2025-01-01T00:00:10.000Z'));
    service.recordSummary(summary([second], '2025-01-01T00:00:20.000Z'));

    expect(recordWindow).toHaveBeenCalledTimes(2);
    expect(recordWindow).toHaveBeenNthCalledWith(1, first);
    expect(recordWindow).toHaveBeenNthCalledWith(2, second);
    const [stats] = service.list();
    expect(stats).toMatchObject({
      model: 'fraud',
      version: '1',
      requests: 40,
      failures: 1,
      last_seen: '2025-01-01T00:00:20.000Z',
    });
    expect(stats?.latency_mean_ms).toBeCloseTo(240 / 40);
    // 28 of 40 observations are at most 5 ms: the median is in (2.5, 5], the p99 in (25, 40].
    expect(stats?.latency_p50_ms).toBeGreaterThan(2.5);
    expect(stats?.latency_p50_ms).toBeLessThanOrEqual(5);
    expect(stats?.latency_p99_ms).toBeGreaterThan(25);
    expect(stats?.latency_p99_ms).toBeLessThanOrEqual(40);
  });

  it('keeps the latest window end even when summaries arrive out of order', () => {
    const { service } = setup();
    service.recordSummary(summary([window()], '2025-01-01T00:01:00.000Z'));
    service.recordSummary(summary([window()], '2025-01-01T00:00:30.000Z'));
    expect(service.list()[0]?.last_seen).toBe('2025-01-01T00:01:00.000Z');
  });

  it('keeps model versions apart, sorted, and filters by model', () => {
    const { service } = setup();
    service.recordSummary(
      summary([
        window({ model: 'spam', version: '10' }),
        window({ model: 'fraud', version: '10' }),
        window({ model: 'fraud', version: '2', requests: 5 }),
      ]),
    );
    expect(service.list().map((s) => `${s.model}/${s.version}`)).toEqual(['fraud/2', 'fraud/10', 'spam/10']);
    expect(service.getModelStats({ model: 'fraud' }).stats.map((s) => [s.version, s.requests])).toEqual([
      ['2', 5],
      ['10', 10],
    ]);
    expect(service.getModelStats({ model: 'nope' }).stats).toEqual([]);
  });

  it('counts a redelivered summary once', () => {
    const { service, recordWindow } = setup();
    service.recordSummary(summary([window()], undefined, 'same'));
    service.recordSummary(summary([window()], undefined, 'same'));
    expect(service.list()[0]?.requests).toBe(10);
    expect(recordWindow).toHaveBeenCalledTimes(1);
  });

  it('reports a mean of 0, not NaN, for a version with no latency observations', () => {
    const { service } = setup();
    service.recordSummary(
      summary([
        window({
          requests: 0,
          failures: 0,
          latency_ms_sum: 0,
          latency_ms_max: 0,
          latency_buckets: buckets({}),
        }),
      ]),
    );
    expect(service.list()[0]).toMatchObject({ latency_mean_ms: 0, latency_p50_ms: 0, latency_p99_ms: 0 });
  });

  it.each([
    ['another event type', { ...summary([window()]), type: 'registry.model.created' }],
    ['windows with the wrong bucket count', summary([{ ...window(), latency_buckets: [1, 2, 3] }])],
    ['negative requests', summary([window({ requests: -1 })])],
    ['no data', { id: 'x', type: 'inference.prediction.summary' }],
  ])('refuses %s as INVALID_ARGUMENT and counts nothing', (_what, event) => {
    const { service } = setup();
    expect(() => service.recordSummary(event)).toThrow(InvalidArgumentError);
    expect(service.list()).toEqual([]);
  });

  it('refuses an over-long model filter', () => {
    expect(() => setup().service.getModelStats({ model: 'x'.repeat(129) })).toThrow(InvalidArgumentError);
  });
});
