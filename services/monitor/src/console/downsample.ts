/** A series as the console draws it: x ascending, one y per x (null where the value is missing). */
export interface Series {
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
}

/**
 * Thins a series to at most `maxPoints` points for drawing, keeping each bucket's minimum and maximum
 * (in x order), so spikes survive where averaging or striding would hide them. Buckets are equal
 * runs of consecutive points; a series that already fits is returned as it is.
 */
export function downsampleMinMax(series: Series, maxPoints: number): Series {
  const n = series.x.length;
  if (series.y.length !== n) throw new RangeError(`x has ${n} points but y has ${series.y.length}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 2)
    throw new RangeError(`maxPoints must be an integer of at least 2, got ${maxPoints}`);
  if (n <= maxPoints) return series;
  const buckets = Math.floor(maxPoints / 2);
  const x: number[] = [];
  const y: (number | null)[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const v = series.y[i];
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      if (lo < 0 || v < (series.y[lo] as number)) lo = i;
      if (hi < 0 || v > (series.y[hi] as number)) hi = i;
    }
    // A bucket of missing values keeps one gap, so the chart breaks its line there.
    if (lo < 0) {
      x.push(series.x[start]!);
      y.push(null);
      continue;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      x.push(series.x[i]!);
      y.push(series.y[i]!);
    }
  }
  return { x, y };
}
