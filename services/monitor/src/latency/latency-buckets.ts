import { LATENCY_BUCKETS_MS } from '@aimass/contracts';
import { LatencyHistogram } from '@aimass/telemetry';

/**
 * Latency histograms as inference reports them: one count per LATENCY_BUCKETS_MS upper bound
 * (non-cumulative), then one overflow bucket for everything above the last bound. These read the
 * wire form through LatencyHistogram, which holds the arithmetic.
 */
export const BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

export function emptyBuckets(): number[] {
  return new LatencyHistogram(LATENCY_BUCKETS_MS).counts;
}

/** Adds `from` into `into`, bucket by bucket. Both must have BUCKET_COUNT entries. */
export function addBuckets(into: number[], from: readonly number[]): void {
  const sum = LatencyHistogram.of(LATENCY_BUCKETS_MS, into, 0, 0);
  sum.merge(LatencyHistogram.of(LATENCY_BUCKETS_MS, from, 0, 0));
  for (let i = 0; i < BUCKET_COUNT; i++) into[i] = sum.counts[i]!;
}

export function bucketTotal(buckets: readonly number[]): number {
  return LatencyHistogram.of(LATENCY_BUCKETS_MS, buckets, 0, 0).count;
}

/**
 * The q-quantile (0..1) estimated from bucket counts (see LatencyHistogram.quantile); the largest
 * observed latency caps the estimate. 0 when nothing was observed.
 */
export function latencyQuantile(buckets: readonly number[], q: number, maxMs: number): number {
  return LatencyHistogram.of(LATENCY_BUCKETS_MS, buckets, 0, maxMs).quantile(q);
}
