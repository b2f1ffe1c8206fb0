import type { FeatureSketch } from './feature-sketch.js';
import { ksTwoSamplePValue } from './kolmogorov.js';
import type { ReferenceDistribution } from './reference-distribution.js';

/** Points of the live quantile function the statistics are evaluated on. */
const GRID = 1000;
/** Evidently's floor for an empty bin's proportion in PSI. */
const PSI_EPSILON = 1e-4;

export interface FeatureDriftStatistics {
  readonly feature: string;
  readonly live_rows: number;
  /** Rows the window is worth once lag-1 autocorrelation is accounted for. */
  readonly effective_rows: number;
  readonly ks_statistic: number;
  readonly ks_p_value: number;
  readonly psi: number;
  /** Wasserstein-1 distance divided by the reference standard deviation. */
  readonly wasserstein_norm: number;
}

/**
 * Effective sample size of an AR(1)-like stream, n(1 - rho)/(1 + rho) for rho > 0 (a variance
 * inflation bound for the empirical distribution function); independent rows keep n.
 */
export function effectiveRows(n: number, rho: number): number {
  if (!(rho > 0)) return n;
  const r = Math.min(rho, 0.99);
  return Math.max(2, (n * (1 - r)) / (1 + r));
}

/** PSI, KS (p-value from the effective sizes) and normalised Wasserstein of `live` against `reference`. */
export function featureDrift(
  reference: ReferenceDistribution,
  live: FeatureSketch,
  name: string,
): FeatureDriftStatistics {
  const n = live.count;
  const effective = effectiveRows(n, live.lag1Autocorrelation);
  // The live quantile function on a grid: xs[i] is the ((i + 0.5) / GRID)-quantile.
  const xs = new Float64Array(GRID);
  for (let i = 0; i < GRID; i++) xs[i] = live.quantile((i + 0.5) / GRID);
  let d = 0;
  let w = 0;
  for (let i = 0; i < GRID; i++) {
    const x = xs[i] as number;
    const f = reference.cdf(x);
    d = Math.max(d, Math.abs(f - i / GRID), Math.abs(f - (i + 1) / GRID));
    w += Math.abs(x - reference.quantile((i + 0.5) / GRID));
  }
  const spread = reference.spread;
  const wasserstein = w / GRID / (spread > 0 ? spread : 1);
  return {
    feature: name,
    live_rows: n,
    effective_rows: effective,
    ks_statistic: d,
    ks_p_value: ksTwoSamplePValue(d, reference.count, effective),
    psi: psi(reference, xs),
    wasserstein_norm: wasserstein,
  };
}

function psi(reference: ReferenceDistribution, liveGrid: Float64Array): number {
  const { edges, proportions } = reference.binProportions();
  const live = new Array<number>(edges.length + 1).fill(0);
  // Each grid point carries 1/GRID of the live mass; bin 0 is below the first edge, and a value equal
  // to the last edge belongs to the last closed bin, as in numpy.histogram.
  let bin = 0;
  for (const x of liveGrid) {
    while (bin < edges.length && (x > (edges[bin] as number) || (x === edges[bin] && bin < edges.length - 1)))
      bin++;
    live[bin] = (live[bin] as number) + 1 / GRID;
  }
  let total = 0;
  for (let i = 0; i < live.length; i++) {
    const l = Math.max(live[i] as number, PSI_EPSILON);
    const r = Math.max(proportions[i] ?? 0, PSI_EPSILON);
    total += (l - r) * Math.log(l / r);
  }
  return total;
}
