import { LATENCY_BUCKETS_MS } from '@aimass/contracts';

/**
 * Latency histograms as inference reports them: one count per LATENCY_BUCKETS_MS upper bound
 * (non-cumulative), then one overflow bucket for everything above the last bound.
 */
export const BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

export function emptyBuckets(): number[] {
  return new Array<number>(BUCKET_COUNT).fill(0);
}

/** Adds `from` into `into`, bucket by bucket. Both must have BUCKET_COUNT entries. */
export function addBuckets(into: number[], from: readonly number[]): void {
  for (let i = 0; i < BUCKET_COUNT; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

export function bucketTotal(buckets: readonly number[]): number {
  return buckets.reduce((sum, count) => sum + count, 0);
}

/**
 * The q-quantile (0..1) estimated from bucket counts, interpolating linearly inside the bucket that
 * holds the rank, as Prometheus' histogram_quantile does. The largest observed latency caps the
 * estimate, and is the only upper bound the overflow bucket has. 0 when nothing was observed.
 */
export function latencyQuantile(buckets: readonly number[], q: number, maxMs: number): number {
  const total = bucketTotal(buckets);
  if (total === 0) return 0;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < BUCKET_COUNT; i++) {
    const count = buckets[i] ?? 0;
    if (count === 0) continue;
    if (below + count >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const bound = LATENCY_BUCKETS_MS[i] ?? Number.POSITIVE_INFINITY;
      const upper = maxMs > lower ? Math.min(bound, maxMs) : Number.isFinite(bound) ? bound : lower;
      return lower + (upper - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return maxMs;
}
