/** Per-column summaries of a dataset: what drift is measured against, and what `data show` prints. */
export interface ReferenceStatistics {
  readonly count: number;
  readonly mean: number[];
  readonly std: number[];
  readonly min: number[];
  readonly max: number[];
  /** Per feature: HISTOGRAM_BINS equal-width bins over [min, max]. */
  readonly histograms: Array<{ edges: number[]; counts: number[] }>;
  /** Per feature: the values at QUANTILE_LEVELS (linear interpolation, numpy's default); drift's KS reads them. */
  readonly quantiles: number[][];
}

export const HISTOGRAM_BINS = 10;
/** 0, 0.01, ..., 1: fine enough for KS against windows of a few thousand rows. */
export const QUANTILE_LEVELS: readonly number[] = Array.from({ length: 101 }, (_, i) => i / 100);

/** Count, mean, population standard deviation, min, max and a HISTOGRAM_BINS-bin histogram per column of row-major `values`. */
export function columnStatistics(values: Float32Array, rows: number, features: number): ReferenceStatistics {
  const mean = new Array<number>(features).fill(0);
  const sq = new Array<number>(features).fill(0);
  const min = new Array<number>(features).fill(Infinity);
  const max = new Array<number>(features).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const v = values[r * features + f] as number;
      mean[f] = (mean[f] as number) + v;
      sq[f] = (sq[f] as number) + v * v;
      if (v < (min[f] as number)) min[f] = v;
      if (v > (max[f] as number)) max[f] = v;
    }
  }
  const std = mean.map((s, f) => {
    const m = s / rows;
    return Math.sqrt(Math.max(0, (sq[f] as number) / rows - m * m));
  });
  const histograms = min.map((lo, f) => {
    const hi = max[f] as number;
    const width = (hi - lo) / HISTOGRAM_BINS;
    return {
      edges: Array.from({ length: HISTOGRAM_BINS + 1 }, (_, i) =>
        i === HISTOGRAM_BINS ? hi : lo + i * width,
      ),
      counts: new Array<number>(HISTOGRAM_BINS).fill(0),
    };
  });
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) {
      const h = histograms[f] as { edges: number[]; counts: number[] };
      const lo = min[f] as number;
      const span = (max[f] as number) - lo;
      const bin =
        span > 0
          ? Math.min(
              HISTOGRAM_BINS - 1,
              Math.floor((((values[r * features + f] as number) - lo) / span) * HISTOGRAM_BINS),
            )
          : 0;
      h.counts[bin] = (h.counts[bin] as number) + 1;
    }
  }
  const quantiles = Array.from({ length: features }, (_, f) => {
    const column = new Float64Array(rows);
    for (let r = 0; r < rows; r++) column[r] = values[r * features + f] as number;
    column.sort();
    return QUANTILE_LEVELS.map((q) => {
      if (rows === 0) return 0;
      const at = q * (rows - 1);
      const lo = Math.floor(at);
      const hi = Math.min(rows - 1, lo + 1);
      return (column[lo] as number) + ((column[hi] as number) - (column[lo] as number)) * (at - lo);
    });
  });
  return { count: rows, mean: mean.map((s) => s / rows), std, min, max, histograms, quantiles };
}

/** One column's statistics under a name, in the field names of the registry's FeatureStatistics message. */
export interface ColumnSummary {
  readonly name: string;
  readonly count: number;
  readonly mean: number;
  readonly stddev: number;
  readonly min: number;
  readonly max: number;
  readonly histogram: { edges: number[]; counts: number[] };
  readonly quantiles: Array<{ q: number; value: number }>;
}

export function columnSummaries(stats: ReferenceStatistics, names: readonly string[]): ColumnSummary[] {
  return stats.mean.map((mean, f) => ({
    name: names[f] ?? `f${f}`,
    count: stats.count,
    mean,
    stddev: stats.std[f] as number,
    min: stats.min[f] as number,
    max: stats.max[f] as number,
    histogram: stats.histograms[f] as { edges: number[]; counts: number[] },
    quantiles: (stats.quantiles[f] ?? []).map((value, i) => ({ q: QUANTILE_LEVELS[i] as number, value })),
  }));
}
