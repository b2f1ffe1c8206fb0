import { type CovarianceType, isFullLayout } from './gmm-model.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * What the E-step needs per component: the mean, a whitening factor and a constant. For full
 * covariance `whiten` holds P_k = L_k⁻¹ (lower triangular, row-major K×D×D) so the squared
 * Mahalanobis distance is |P_k x − P_k μ_k|², and `whitenedMeans` holds P_k μ_k (K×D); for diag
 * `whiten` holds 1/σ (K×D). `logConst[k]` is log w_k + log det P_k − ½ D log 2π.
 */
export interface ScoringFactors {
  readonly covariance: CovarianceType;
  readonly components: number;
  readonly dims: number;
  readonly means: Float64Array;
  readonly whiten: Float64Array;
  readonly whitenedMeans: Float64Array;
  readonly logConst: Float64Array;
}

export function allocateFactors(
  covariance: CovarianceType,
  components: number,
  dims: number,
): ScoringFactors {
  return {
    covariance,
    components,
    dims,
    means: new Float64Array(components * dims),
    whiten: new Float64Array(components * (isFullLayout(covariance) ? dims * dims : dims)),
    whitenedMeans: new Float64Array(components * dims),
    logConst: new Float64Array(components),
  };
}

/** Completes the factors once means and whiten are set: logConst from the weights and each log det P, and P_k μ_k. */
export function finishFactors(factors: ScoringFactors, weights: Float64Array, logDetP: Float64Array): void {
  const { components: kk, dims: d, means, whiten: p, whitenedMeans: b } = factors;
  const half = 0.5 * d * LOG_2PI;
  for (let k = 0; k < kk; k++)
    factors.logConst[k] = Math.log(weights[k] as number) + (logDetP[k] as number) - half;
  if (!isFullLayout(factors.covariance)) return;
  for (let k = 0; k < kk; k++) {
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += (p[k * d * d + i * d + j] as number) * (means[k * d + j] as number);
      b[k * d + i] = s;
    }
  }
}

/** out[n×K + k] = log w_k + log N(x_n | μ_k, Σ_k) for `rows` rows of `x` (row-major, D columns). */
export function weightedLogProb(f: ScoringFactors, x: Float64Array, rows: number, out: Float64Array): void {
  if (isFullLayout(f.covariance)) fullLogProb(f, x, rows, out);
  else diagLogProb(f, x, rows, out);
}

function fullLogProb(f: ScoringFactors, x: Float64Array, rows: number, out: Float64Array): void {
  const { components: kk, dims: d, whiten: p, whitenedMeans: b, logConst } = f;
  const dd = d * d;
  // Register tiling: four rows × two whitened coordinates per inner loop, so each load of P_k or
  // x feeds several independent multiply-adds (V8 does not vectorise; this is what makes the loop
  // fast). Row i of the lower-triangular P_k has i+1 non-zeros. Subtracting P_k μ_k after the
  // product matches scikit-learn's (X U − μ U).
  const tail = rows - (rows % 4);
  for (let k = 0; k < kk; k++) {
    const p0 = k * dd;
    const bo = k * d;
    const c = logConst[k] as number;
    for (let n = 0; n < tail; n += 4) {
      const x0 = n * d;
      const x1 = x0 + d;
      const x2 = x1 + d;
      const x3 = x2 + d;
      let m0 = 0;
      let m1 = 0;
      let m2 = 0;
      let m3 = 0;
      let i = 0;
      for (; i + 1 < d; i += 2) {
        const pa = p0 + i * d;
        const pb = pa + d;
        const ba = b[bo + i] as number;
        const bb = b[bo + i + 1] as number;
        let a0 = -ba;
        let a1 = -ba;
        let a2 = -ba;
        let a3 = -ba;
        let c0 = -bb;
        let c1 = -bb;
        let c2 = -bb;
        let c3 = -bb;
        for (let j = 0; j <= i; j++) {
          const pj = p[pa + j] as number;
          const qj = p[pb + j] as number;
          const y0 = x[x0 + j] as number;
          const y1 = x[x1 + j] as number;
          const y2 = x[x2 + j] as number;
          const y3 = x[x3 + j] as number;
          a0 += pj * y0;
          a1 += pj * y1;
          a2 += pj * y2;
          a3 += pj * y3;
          c0 += qj * y0;
          c1 += qj * y1;
          c2 += qj * y2;
          c3 += qj * y3;
        }
        const q = p[pb + i + 1] as number;
        c0 += q * (x[x0 + i + 1] as number);
        c1 += q * (x[x1 + i + 1] as number);
        c2 += q * (x[x2 + i + 1] as number);
        c3 += q * (x[x3 + i + 1] as number);
        m0 += a0 * a0 + c0 * c0;
        m1 += a1 * a1 + c1 * c1;
        m2 += a2 * a2 + c2 * c2;
        m3 += a3 * a3 + c3 * c3;
      }
      if (i < d) {
        const pa = p0 + i * d;
        const ba = b[bo + i] as number;
        let a0 = -ba;
        let a1 = -ba;
        let a2 = -ba;
        let a3 = -ba;
        for (let j = 0; j <= i; j++) {
          const pj = p[pa + j] as number;
          a0 += pj * (x[x0 + j] as number);
          a1 += pj * (x[x1 + j] as number);
          a2 += pj * (x[x2 + j] as number);
          a3 += pj * (x[x3 + j] as number);
        }
        m0 += a0 * a0;
        m1 += a1 * a1;
        m2 += a2 * a2;
        m3 += a3 * a3;
      }
      out[n * kk + k] = c - 0.5 * m0;
      out[(n + 1) * kk + k] = c - 0.5 * m1;
      out[(n + 2) * kk + k] = c - 0.5 * m2;
      out[(n + 3) * kk + k] = c - 0.5 * m3;
    }
    for (let n = tail; n < rows; n++) {
      const xo = n * d;
      let maha = 0;
      let po = p0;
      for (let i = 0; i < d; i++) {
        let s = -(b[bo + i] as number);
        for (let j = 0; j <= i; j++) s += (p[po + j] as number) * (x[xo + j] as number);
        maha += s * s;
        po += d;
      }
      out[n * kk + k] = c - 0.5 * maha;
    }
  }
}

function diagLogProb(f: ScoringFactors, x: Float64Array, rows: number, out: Float64Array): void {
  const { components: kk, dims: d, means, whiten: p, logConst } = f;
  for (let n = 0; n < rows; n++) {
    const xo = n * d;
    const oo = n * kk;
    for (let k = 0; k < kk; k++) {
      const mo = k * d;
      let maha = 0;
      for (let j = 0; j < d; j++) {
        const s = ((x[xo + j] as number) - (means[mo + j] as number)) * (p[mo + j] as number);
        maha += s * s;
      }
      out[oo + k] = (logConst[k] as number) - 0.5 * maha;
    }
  }
}

/**
 * Turns each row of weighted log-probabilities into responsibilities, in place, with the log-sum-exp
 * shift so that no row underflows. Writes each row's log-likelihood to `perRow` when given and
 * returns their sum.
 */
export function normaliseRows(
  buf: Float64Array,
  rows: number,
  components: number,
  perRow: Float64Array | null,
): number {
  let total = 0;
  for (let n = 0; n < rows; n++) {
    const o = n * components;
    let max = -Infinity;
    for (let k = 0; k < components; k++) {
      const v = buf[o + k] as number;
      if (v > max) max = v;
    }
    let sum = 0;
    for (let k = 0; k < components; k++) {
      const e = Math.exp((buf[o + k] as number) - max);
      buf[o + k] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let k = 0; k < components; k++) buf[o + k] = (buf[o + k] as number) * inv;
    const lse = max + Math.log(sum);
    if (perRow !== null) perRow[n] = lse;
    total += lse;
  }
  return total;
}
