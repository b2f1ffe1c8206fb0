/**
 * Latencies counted in fixed buckets: one count per upper bound (a value on a bound falls in that
 * bucket), then one overflow bucket for everything above the last bound, with the sum, the count
 * and the largest value. Counts are not cumulative; exposition makes them so. Recording is a short
 * scan and a few additions, cheap enough for every request.
 */
export class LatencyHistogram {
  /** Non-cumulative counts: one per bound, then the overflow bucket. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  max = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** A histogram holding counts bucketed elsewhere (bounds.length + 1 entries, overflow last). */
  static of(
    bounds: readonly number[],
    counts: readonly number[],
    sum: number,
    max: number,
  ): LatencyHistogram {
    const h = new LatencyHistogram(bounds);
    for (let i = 0; i < h.counts.length; i++) {
      const n = counts[i] ?? 0;
      h.counts[i] = n;
      h.count += n;
    }
    h.sum = sum;
    h.max = max;
    return h;
  }

  record(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (value > this.max) this.max = value;
  }

  /** Adds `other`'s observations; both must have the same bounds. */
  merge(other: LatencyHistogram): void {
    if (other.counts.length !== this.counts.length)
      throw new RangeError(
        `cannot merge histograms of ${other.counts.length} and ${this.counts.length} buckets`,
      );
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.sum += other.sum;
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The q-quantile (0..1), interpolating linearly inside the bucket that holds the rank, as
   * Prometheus' histogram_quantile does. The largest recorded value caps the estimate, and is the
   * only upper bound the overflow bucket has. 0 when nothing was recorded.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = q * this.count;
    let below = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const count = this.counts[i]!;
      if (count === 0) continue;
      if (below + count >= rank) {
        const lower = i === 0 ? 0 : this.bounds[i - 1]!;
        const bound = this.bounds[i] ?? Number.POSITIVE_INFINITY;
        const upper = this.max > lower ? Math.min(bound, this.max) : Number.isFinite(bound) ? bound : lower;
        return lower + (upper - lower) * ((rank - below) / count);
      }
      below += count;
    }
    return this.max;
  }
}
