import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogramMetric } from './latency-histogram-metric.js';
import { LatencyHistogram } from './latency-histogram.js';

const BOUNDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** A histogram with `count` observations in the bucket whose upper bound is `bound` (or overflow). */
function histogramWith(
  entries: [bound: number | 'overflow', count: number][],
  max: number,
): LatencyHistogram {
  const counts = new Array<number>(BOUNDS.length + 1).fill(0);
  for (const [bound, count] of entries) {
    const index = bound === 'overflow' ? BOUNDS.length : BOUNDS.indexOf(bound);
    if (index < 0) throw new Error(`${bound} is not a bucket bound`);
    counts[index] = count;
  }
  return LatencyHistogram.of(BOUNDS, counts, 0, max);
}

describe('LatencyHistogram', () => {
  it('counts a value on a bound in that bucket, and beyond the last bound in the overflow bucket', () => {
    const h = new LatencyHistogram([1, 10]);
    for (const v of [0, 1, 1.5, 10, 11, 500]) h.record(v);
    expect(h.counts).toEqual([2, 2, 2]);
    expect(h.count).toBe(6);
    expect(h.sum).toBe(523.5);
    expect(h.max).toBe(500);
  });

  it('with no bounds keeps only the count, sum and largest value', () => {
    const h = new LatencyHistogram([]);
    h.record(3);
    h.record(4);
    expect([h.counts, h.count, h.sum, h.max]).toEqual([[2], 2, 7, 4]);
  });

  it('merges bucket by bucket, and keeps the larger maximum', () => {
    const into = LatencyHistogram.of([1, 10], [2, 0, 0], 1, 0.75);
    into.merge(LatencyHistogram.of([1, 10], [3, 0, 1], 40, 30));
    expect([into.counts, into.count, into.sum, into.max]).toEqual([[5, 0, 1], 6, 41, 30]);
  });

  it('refuses to merge histograms of other bounds', () => {
    expect(() => new LatencyHistogram([1]).merge(new LatencyHistogram([1, 2]))).toThrow(RangeError);
  });

  describe('quantile', () => {
    it('is 0 when nothing was observed', () => {
      expect(new LatencyHistogram(BOUNDS).quantile(0.5)).toBe(0);
    });

    it('interpolates inside the bucket that holds the rank', () => {
      // 100 observations in (5, 10]: the median sits halfway through the bucket.
      const h = histogramWith([[10, 100]], 10);
      expect(h.quantile(0.5)).toBeCloseTo(7.5);
      expect(h.quantile(0.99)).toBeCloseTo(9.95);
    });

    it('separates the median from the tail', () => {
      const h = histogramWith(
        [
          [1, 90],
          [250, 10],
        ],
        240,
      );
      expect(h.quantile(0.5)).toBeLessThanOrEqual(1);
      expect(h.quantile(0.99)).toBeGreaterThan(100);
      expect(h.quantile(0.99)).toBeLessThanOrEqual(240);
    });

    it('caps estimates at the largest observed latency', () => {
      expect(histogramWith([[5000, 4]], 2600).quantile(0.99)).toBeLessThanOrEqual(2600);
    });

    it('bounds the overflow bucket by the largest observed latency', () => {
      const p99 = histogramWith([['overflow', 2]], 30_000).quantile(0.99);
      expect(p99).toBeGreaterThan(10_000);
      expect(p99).toBeLessThanOrEqual(30_000);
    });
  });
});

describe('LatencyHistogramMetric', () => {
  it('exposes each series as a cumulative Prometheus histogram, in text and JSON', async () => {
    const registry = new Registry();
    const h = new LatencyHistogram([1, 10]);
    for (const v of [0.5, 5, 50]) h.record(v);
    new LatencyHistogramMetric({
      name: 'latency_ms',
      help: 'Latency',
      labelNames: ['model'],
      bounds: [1, 10],
      registers: [registry],
      series: () => [{ labels: { model: 'a' }, histogram: h }],
      le: 'last',
    });
    const text = await registry.metrics();
    expect(text).toContain('# TYPE latency_ms histogram');
    expect(text).toContain('latency_ms_bucket{model="a",le="1"} 1');
    expect(text).toContain('latency_ms_bucket{model="a",le="10"} 2');
    expect(text).toContain('latency_ms_bucket{model="a",le="+Inf"} 3');
    expect(text).toContain('latency_ms_sum{model="a"} 55.5');
    expect(text).toContain('latency_ms_count{model="a"} 3');
    const json = await registry.getMetricsAsJSON();
    expect(json[0]?.type).toBe('histogram');
    expect(json[0]?.values).toHaveLength(5);
  });

  it('puts le first by default', async () => {
    const registry = new Registry();
    new LatencyHistogramMetric({
      name: 'latency_us',
      help: 'Latency',
      labelNames: ['model'],
      bounds: [1],
      registers: [registry],
      series: () => [{ labels: { model: 'a' }, histogram: new LatencyHistogram([1]) }],
    });
    expect(await registry.metrics()).toContain('latency_us_bucket{le="1",model="a"} 0');
  });
});
