/** One feature of a version's reference statistics, as the registry stores them. */
export interface ReferenceFeature {
  readonly name: string;
  readonly count: number;
  readonly mean: number;
  readonly stddev: number;
  readonly min: number;
  readonly max: number;
  readonly quantiles: ReadonlyArray<{ readonly q: number; readonly value: number }>;
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] };
}

/**
 * A reference feature's distribution function, piecewise linear between its stored quantiles (or,
 * for versions stored with a histogram only, uniform within each bin).
 */
export class ReferenceDistribution {
  /** Ascending knots: cdf(xs[i]) = ps[i]. */
  private readonly xs: number[] = [];
  private readonly ps: number[] = [];

  constructor(readonly feature: ReferenceFeature) {
    const qs = [...feature.quantiles].sort((a, b) => a.q - b.q);
    if (qs.length >= 2) {
      for (const { q, value } of qs) this.knot(value, q);
      if ((qs[0] as { q: number }).q > 0 && feature.min < (this.xs[0] as number)) {
        this.xs.unshift(feature.min);
        this.ps.unshift(0);
      }
      if ((qs.at(-1) as { q: number }).q < 1) this.knot(feature.max, 1);
    } else {
      const { edges, counts } = feature.histogram;
      const total = counts.reduce((a, b) => a + b, 0);
      if (total > 0 && edges.length === counts.length + 1) {
        let cum = 0;
        this.knot(edges[0] as number, 0);
        counts.forEach((c, i) => {
          cum += c;
          this.knot(edges[i + 1] as number, cum / total);
        });
      } else {
        this.knot(feature.min, 0);
        this.knot(feature.max, 1);
      }
    }
  }

  private knot(x: number, p: number): void {
    // Keep the function non-decreasing in both coordinates; ties collapse to the last probability.
    if (this.xs.length > 0 && x <= (this.xs.at(-1) as number)) {
      this.ps[this.ps.length - 1] = Math.max(this.ps.at(-1) as number, p);
      return;
    }
    this.xs.push(x);
    this.ps.push(Math.max(p, (this.ps.at(-1) as number | undefined) ?? 0));
  }

  get count(): number {
    return this.feature.count;
  }

  /** The spread Wasserstein distances are divided by (Evidently's wasserstein_distance_norm). */
  get spread(): number {
    return this.feature.stddev;
  }

  cdf(x: number): number {
    const xs = this.xs;
    if (xs.length === 0 || x < (xs[0] as number)) return 0;
    if (x >= (xs.at(-1) as number)) return 1;
    let lo = 0;
    let hi = xs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((xs[mid] as number) <= x) lo = mid;
      else hi = mid;
    }
    const x0 = xs[lo] as number;
    const x1 = xs[hi] as number;
    const p0 = this.ps[lo] as number;
    const p1 = this.ps[hi] as number;
    return p0 + ((p1 - p0) * (x - x0)) / (x1 - x0);
  }

  quantile(q: number): number {
    const ps = this.ps;
    if (ps.length === 0) return this.feature.mean;
    if (ps.length === 1) return this.xs[0] as number;
    let lo = 0;
    let hi = ps.length - 1;
    if (q <= (ps[0] as number)) return this.xs[0] as number;
    if (q >= (ps[hi] as number)) return this.xs[hi] as number;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((ps[mid] as number) <= q) lo = mid;
      else hi = mid;
    }
    const p0 = ps[lo] as number;
    const p1 = ps[hi] as number;
    const x0 = this.xs[lo] as number;
    const x1 = this.xs[hi] as number;
    return p1 === p0 ? x0 : x0 + ((x1 - x0) * (q - p0)) / (p1 - p0);
  }

  /** Bin proportions over the reference histogram's edges, plus one open bin below and one above. */
  binProportions(): { edges: readonly number[]; proportions: number[] } {
    const { edges, counts } = this.feature.histogram;
    const total = counts.reduce((a, b) => a + b, 0);
    if (total > 0 && edges.length === counts.length + 1)
      return { edges, proportions: [0, ...counts.map((c) => c / total), 0] };
    const ten = Array.from({ length: 11 }, (_, i) => this.quantile(i / 10));
    return { edges: ten, proportions: [0, ...Array<number>(10).fill(0.1), 0] };
  }
}
