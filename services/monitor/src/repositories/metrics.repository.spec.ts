import { LATENCY_BUCKETS_MS, type PredictionWindow } from '@aimass/contracts';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsRepository } from './metrics.repository.js';

function window(overrides: Partial<PredictionWindow> = {}): PredictionWindow {
  const latency_buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  latency_buckets[LATENCY_BUCKETS_MS.indexOf(5)] = 3;
  latency_buckets[LATENCY_BUCKETS_MS.length] = 1;
  return {
    model: 'fraud',
    version: '2',
    requests: 4,
    failures: 1,
    latency_ms_sum: 12_010,
    latency_ms_max: 12_000,
    latency_buckets,
    ...overrides,
  };
}

// The repository's only outside system is prom-client's registry, which lives in memory: these
// tests run it for real and read what Prometheus would scrape.
describe('MetricsRepository', () => {
  it('exposes counters and a cumulative histogram in the Prometheus text format', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'aimass-monitor' });
    const metrics = new MetricsRepository(registry);
    metrics.recordWindow(window());
    metrics.recordWindow(window());
    const text = await registry.metrics();

    expect(text).toContain(
      'aimass_monitor_model_requests_total{model="fraud",version="2",service="aimass-monitor"} 8',
    );
    expect(text).toContain(
      'aimass_monitor_model_failures_total{model="fraud",version="2",service="aimass-monitor"} 2',
    );
    expect(text).toContain('# TYPE aimass_monitor_model_latency_ms histogram');
    expect(text).toContain(
      'aimass_monitor_model_latency_ms_bucket{model="fraud",version="2",le="2.5",service="aimass-monitor"} 0',
    );
    expect(text).toContain(
      'aimass_monitor_model_latency_ms_bucket{model="fraud",version="2",le="5",service="aimass-monitor"} 6',
    );
    expect(text).toContain(
      'aimass_monitor_model_latency_ms_bucket{model="fraud",version="2",le="10000",service="aimass-monitor"} 6',
    );
    expect(text).toContain(
      'aimass_monitor_model_latency_ms_bucket{model="fraud",version="2",le="+Inf",service="aimass-monitor"} 8',
    );
    expect(text).toContain(
      'aimass_monitor_model_latency_ms_sum{model="fraud",version="2",service="aimass-monitor"} 24020',
    );
    expect(text).toContain(
      'aimass_monitor_model_latency_ms_count{model="fraud",version="2",service="aimass-monitor"} 8',
    );
  });

  it('keeps model versions apart and escapes label values', async () => {
    const registry = new Registry();
    const metrics = new MetricsRepository(registry);
    metrics.recordWindow(window({ model: 'a"b', version: '1', requests: 5 }));
    metrics.recordWindow(window({ model: 'a"b', version: 'production', requests: 7 }));
    const text = await registry.metrics();
    expect(text).toContain('aimass_monitor_model_requests_total{model="a\\"b",version="1"} 5');
    expect(text).toContain('aimass_monitor_model_requests_total{model="a\\"b",version="production"} 7');
  });

  it('shows up in the JSON form too', async () => {
    const registry = new Registry();
    new MetricsRepository(registry).recordWindow(window());
    const json = await registry.getMetricsAsJSON();
    const histogram = json.find((m) => m.name === 'aimass_monitor_model_latency_ms');
    expect(histogram?.type).toBe('histogram');
    expect(histogram?.values).toHaveLength(LATENCY_BUCKETS_MS.length + 3);
  });
});
