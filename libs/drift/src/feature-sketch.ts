import { DDSketch, LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';

/** Relative accuracy of the quantile sketches: a reported quantile is within 1% of a true one. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
/** Bins per sign before the smallest magnitudes collapse; bounds each sketch to a few KB. */
export const SKETCH_BIN_LIMIT = 2048;

/** One feature's sketch as it travels in a prediction summary (JSON). */
export interface FeatureSketchWire {
  readonly count: number;
  readonly sum: number;
  readonly sum_sq: number;
  /** Sum of x[t] * x[t-1] over consecutive rows seen by one process: lag-1 autocorrelation. */
  readonly lag_sum: number;
  readonly lag_count: number;
  readonly min: number;
  readonly max: number;
  /** DDSketch bins: positive and negative stores as [first key, count, count, ...], and exact zeros. */
  readonly bins: { readonly positive: number[]; readonly negative: number[]; readonly zeros: number };
}

/**
 * A mergeable summary of one feature's live values: a DDSketch for quantiles (Datadog's
 * sketches-js: relative-error guarantee, bounded bins) plus moments and the lag-1 product sum,
 * which tells the monitor how autocorrelated the stream is (its effective sample size).
 */
export class FeatureSketch {
  count = 0;
  sum = 0;
  sumSq = 0;
  lagSum = 0;
  lagCount = 0;
  min = Infinity;
  max = -Infinity;
  private last = NaN;

  constructor(
    readonly sketch: DDSketch = new LogCollapsingLowestDenseDDSketch({
      relativeAccuracy: SKETCH_RELATIVE_ACCURACY,
      binLimit: SKETCH_BIN_LIMIT,
    }),
  ) {}

  accept(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sketch.accept(value);
    this.count++;
    this.sum += value;
    this.sumSq += value * value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (!Number.isNaN(this.last)) {
      this.lagSum += value * this.last;
      this.lagCount++;
    }
    this.last = value;
  }

  /** Adds `other` in; lag products stay within each stream (none across the seam). */
  merge(other: FeatureSketch): void {
    if (other.count === 0) return;
    addBins(this.sketch, other.sketch);
    this.count += other.count;
    this.sum += other.sum;
    this.sumSq += other.sumSq;
    this.lagSum += other.lagSum;
    this.lagCount += other.lagCount;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  get variance(): number {
    return this.count === 0 ? 0 : Math.max(0, this.sumSq / this.count - this.mean ** 2);
  }

  /** Lag-1 autocorrelation estimate, 0 when it cannot be told. */
  get lag1Autocorrelation(): number {
    const v = this.variance;
    if (this.lagCount < 2 || v <= 0) return 0;
    return Math.max(-1, Math.min(1, (this.lagSum / this.lagCount - this.mean ** 2) / v));
  }

  /** The value at quantile q (0..1), clamped to the exact min and max. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    return Math.min(this.max, Math.max(this.min, this.sketch.getValueAtQuantile(q)));
  }

  /**
   * Counts of the sketched values between `edges` (ascending; bin i is [edges[i], edges[i+1]), the
   * last bin closed, as numpy.histogram), plus those below the first edge and above the last. Each
   * DDSketch bin is placed by its representative value, so a value within the sketch's relative
   * accuracy (1 %) of an edge may land in the neighbouring bin.
   */
  histogram(edges: readonly number[]): { counts: number[]; below: number; above: number } {
    const counts = new Array<number>(Math.max(0, edges.length - 1)).fill(0);
    let below = 0;
    let above = 0;
    const place = (value: number, count: number) => {
      const v = Math.min(this.max, Math.max(this.min, value));
      if (edges.length < 2 || v < (edges[0] as number)) {
        below += count;
        return;
      }
      if (v > (edges[edges.length - 1] as number)) {
        above += count;
        return;
      }
      // The last i with edges[i] <= v, kept within the closed last bin.
      let lo = 0;
      let hi = edges.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if ((edges[mid] as number) <= v) lo = mid;
        else hi = mid;
      }
      counts[lo] = (counts[lo] as number) + count;
    };
    const store = (s: DDSketch['store'], sign: number) =>
      s.bins.forEach((count, i) => {
        if (count > 0) place(sign * this.sketch.mapping.value(i + s.offset), count);
      });
    store(this.sketch.store, 1);
    store(this.sketch.negativeStore, -1);
    if (this.sketch.zeroCount > 0) place(0, this.sketch.zeroCount);
    return { counts, below, above };
  }

  toWire(): FeatureSketchWire {
    return {
      count: this.count,
      sum: this.sum,
      sum_sq: this.sumSq,
      lag_sum: this.lagSum,
      lag_count: this.lagCount,
      min: this.count === 0 ? 0 : this.min,
      max: this.count === 0 ? 0 : this.max,
      bins: {
        positive: storeToWire(this.sketch.store),
        negative: storeToWire(this.sketch.negativeStore),
        zeros: this.sketch.zeroCount,
      },
    };
  }

  static fromWire(wire: FeatureSketchWire): FeatureSketch {
    const s = new FeatureSketch();
    const to = s.sketch;
    const add = (stored: readonly number[], sign: number) => {
      const first = stored[0] ?? 0;
      for (let i = 1; i < stored.length; i++) {
        const count = stored[i] as number;
        if (count > 0) to.accept(sign * to.mapping.value(first + i - 1), count);
      }
    };
    add(wire.bins.positive, 1);
    add(wire.bins.negative, -1);
    if (wire.bins.zeros > 0) to.accept(0, wire.bins.zeros);
    s.count = wire.count;
    s.sum = wire.sum;
    s.sumSq = wire.sum_sq;
    s.lagSum = wire.lag_sum;
    s.lagCount = wire.lag_count;
    s.min = wire.count === 0 ? Infinity : wire.min;
    s.max = wire.count === 0 ? -Infinity : wire.max;
    return s;
  }
}

/**
 * Adds every bin of `from` into `to`. sketches-js 2.1's merge of sketches decoded by fromProto
 * misplaces bins (a merged sketch of two halves of a normal sample put its median near +0.65), so bins are re-added by their representative value, which maps to the same key
 * under the same relative accuracy.
 */
function addBins(to: DDSketch, from: DDSketch): void {
  const add = (store: DDSketch['store'], sign: number) => {
    store.bins.forEach((count, i) => {
      if (count > 0) to.accept(sign * from.mapping.value(i + store.offset), count);
    });
  };
  add(from.store, 1);
  add(from.negativeStore, -1);
  if (from.zeroCount > 0) to.accept(0, from.zeroCount);
}

/** A store's non-empty key range as [first key, counts...]: a few bytes per bin in JSON. */
function storeToWire(store: DDSketch['store']): number[] {
  let lo = -1;
  let hi = -1;
  store.bins.forEach((c, i) => {
    if (c > 0) {
      if (lo < 0) lo = i;
      hi = i;
    }
  });
  if (lo < 0) return [];
  return [lo + store.offset, ...store.bins.slice(lo, hi + 1)];
}

/** Sketches of every feature of one model version's input, row by row. */
export class InputSketch {
  readonly features: FeatureSketch[];

  constructor(features: number) {
    this.features = Array.from({ length: features }, () => new FeatureSketch());
  }

  get rows(): number {
    return this.features[0]?.count ?? 0;
  }

  /** Folds `rows` row-major rows of `values`; rows beyond the width of this sketch are ignored. */
  foldRows(values: ArrayLike<number>, rows: number, width: number): void {
    const n = Math.min(width, this.features.length);
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      for (let f = 0; f < n; f++) (this.features[f] as FeatureSketch).accept(values[base + f] as number);
    }
  }

  merge(other: InputSketch): void {
    const n = Math.min(this.features.length, other.features.length);
    for (let f = 0; f < n; f++) (this.features[f] as FeatureSketch).merge(other.features[f] as FeatureSketch);
  }

  toWire(): FeatureSketchWire[] {
    return this.features.map((f) => f.toWire());
  }

  static fromWire(wire: readonly FeatureSketchWire[]): InputSketch {
    const s = new InputSketch(0);
    s.features.push(...wire.map((w) => FeatureSketch.fromWire(w)));
    return s;
  }
}
