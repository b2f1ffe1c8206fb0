import { LATENCY_BUCKETS_MS } from '@aimass/contracts';
import { describe, expect, it } from 'vitest';
import { addBuckets, BUCKET_COUNT, emptyBuckets, latencyQuantile } from './latency-buckets.js';

/** Buckets with `count` observations in the bucket whose upper bound is `boundMs` (or overflow). */
function bucketsWith(entries: [boundMs: number | 'overflow', count: number][]): number[] {
  const buckets = emptyBuckets();
  for (const [bound, count] of entries) {
    const index = bound === 'overflow' ? BUCKET_COUNT - 1 : LATENCY_BUCKETS_MS.indexOf(bound as never);
    if (index < 0) throw new Error(`${bound} is not a bucket bound`);
    buckets[index] = count;
  }
  return buckets;
}

describe('latencyQuantile', () => {
  it('is 0 when nothing was observed', () => {
    expect(latencyQuantile(emptyBuckets(), 0.5, 0)).toBe(0);
  });

  it('interpolates inside the bucket that holds the rank', () => {
    // 100 observations in (5, 10]: the median sits halfway through the bucket.
    const buckets = bucketsWith([[10, 100]]);
    expect(latencyQuantile(buckets, 0.5, 10)).toBeCloseTo(7.5);
    expect(latencyQuantile(buckets, 0.99, 10)).toBeCloseTo(9.95);
  });

  it('separates the median from the tail', () => {
    const buckets = bucketsWith([
      [1, 90],
      [250, 10],
    ]);
    expect(latencyQuantile(buckets, 0.5, 240)).toBeLessThanOrEqual(1);
    expect(latencyQuantile(buckets, 0.99, 240)).toBeGreaterThan(100);
    expect(latencyQuantile(buckets, 0.99, 240)).toBeLessThanOrEqual(240);
  });

  it('caps estimates at the largest observed latency', () => {
    expect(latencyQuantile(bucketsWith([[5000, 4]]), 0.99, 2600)).toBeLessThanOrEqual(2600);
  });

  it('bounds the overflow bucket by the largest observed latency', () => {
    const buckets = bucketsWith([['overflow', 2]]);
    const p99 = latencyQuantile(buckets, 0.99, 30_000);
    expect(p99).toBeGreaterThan(10_000);
    expect(p99).toBeLessThanOrEqual(30_000);
  });
});

describe('addBuckets', () => {
  it('adds bucket by bucket', () => {
    const into = bucketsWith([[1, 2]]);
    addBuckets(
      into,
      bucketsWith([
        [1, 3],
        ['overflow', 1],
      ]),
    );
    expect(into).toEqual(
      bucketsWith([
        [1, 5],
        ['overflow', 1],
      ]),
    );
  });
});
