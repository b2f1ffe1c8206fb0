import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { InferenceMetricsRepository } from './inference-metrics.repository.js';

describe('InferenceMetricsRepository', () => {
  it('exposes counts and cumulative µs histograms per model and version in the Prometheus text format', async () => {
    const registry = new Registry();
    const metrics = new InferenceMetricsRepository(registry);
    metrics.recordSuccess('ae', '1', {
      requestUs: 80,
      queueUs: 10,
      computeUs: 60,
      batchSize: 2,
      leader: true,
    });
    metrics.recordSuccess('ae', '1', {
      requestUs: 700,
      queueUs: 3_000_000,
      computeUs: 60,
      batchSize: 2,
      leader: false,
    });
    metrics.recordSuccess('ae', '2', {
      requestUs: 100,
      queueUs: 0,
      computeUs: 50,
      batchSize: 1,
      leader: true,
    });
    metrics.recordFailure('ae', '1', 'INVALID_ARGUMENT');
    const text = await registry.metrics();
    const line = (prefix: string) =>
      text
        .split('\n')
        .find((l) => l.startsWith(prefix + ' '))
        ?.slice(prefix.length + 1);
    expect(text).toContain('# TYPE aimass_inference_request_duration_us histogram');
    expect(text).toContain('# TYPE aimass_inference_request_success_total counter');
    expect(line('aimass_inference_request_success_total{model="ae",version="1"}')).toBe('2');
    expect(line('aimass_inference_request_success_total{model="ae",version="2"}')).toBe('1');
    expect(line('aimass_inference_count_total{model="ae",version="1"}')).toBe('2');
    expect(line('aimass_inference_exec_count_total{model="ae",version="1"}')).toBe('1');
    expect(
      line('aimass_inference_request_failure_total{model="ae",version="1",reason="INVALID_ARGUMENT"}'),
    ).toBe('1');
    // Buckets are cumulative; a value on a bound falls in that bucket; beyond the last bound only +Inf counts it.
    expect(line('aimass_inference_request_duration_us_bucket{le="50",model="ae",version="1"}')).toBe('0');
    expect(line('aimass_inference_request_duration_us_bucket{le="100",model="ae",version="1"}')).toBe('1');
    expect(line('aimass_inference_request_duration_us_bucket{le="1000",model="ae",version="1"}')).toBe('2');
    expect(line('aimass_inference_request_duration_us_bucket{le="100",model="ae",version="2"}')).toBe('1');
    expect(line('aimass_inference_request_duration_us_sum{model="ae",version="1"}')).toBe('780');
    expect(line('aimass_inference_request_duration_us_count{model="ae",version="1"}')).toBe('2');
    expect(line('aimass_inference_queue_duration_us_bucket{le="1000000",model="ae",version="1"}')).toBe('1');
    expect(line('aimass_inference_queue_duration_us_bucket{le="+Inf",model="ae",version="1"}')).toBe('2');
    expect(line('aimass_inference_compute_infer_duration_us_count{model="ae",version="1"}')).toBe('1');
  });
});
