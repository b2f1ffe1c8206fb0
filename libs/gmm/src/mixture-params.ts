import { inverseCholesky } from './cholesky.js';
import { type ScoringFactors, finishFactors } from './gaussian-log-prob.js';
import { GmmError } from './gmm-error.js';
import { type CovarianceType, covarianceSize, isFullLayout } from './gmm-model.js';

// The M-step and the parameter → E-step-factor conversion. Both write into buffers the caller
// allocated once per fit, so EM iterations allocate nothing.

/** Mixture parameters being fitted: weights [K], means [K×D], covariances [K×D×D] or [K×D]. */
export interface MixtureParams {
  readonly covariance: CovarianceType;
  readonly components: number;
  readonly dims: number;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

export function allocateParams(covariance: CovarianceType, components: number, dims: number): MixtureParams {
  return {
    covariance,
    components,
    dims,
    weights: new Float64Array(components),
    means: new Float64Array(components * dims),
    covariances: new Float64Array(components * covarianceSize(covariance, dims)),
  };
}

export function copyParams(from: MixtureParams, to: MixtureParams): void {
  to.weights.set(from.weights);
  to.means.set(from.means);
  to.covariances.set(from.covariances);
}

// scikit-learn adds this to every component's mass so an empty component divides by a tiny number
// instead of zero; matching it keeps the two implementations comparable step by step.
const MASS_FLOOR = 10 * Number.EPSILON;

/** Scratch the M-step reuses across iterations. */
export interface MStepScratch {
  readonly mass: Float64Array;
  /** Centred rows of one block, column-major [D × BLOCK_ROWS], and the same times each row's responsibility. */
  readonly block: Float64Array;
  readonly weightedBlock: Float64Array;
}

const BLOCK_ROWS = 64;

export function allocateMStepScratch(components: number, dims: number): MStepScratch {
  return {
    mass: new Float64Array(components),
    block: new Float64Array(dims * BLOCK_ROWS),
    weightedBlock: new Float64Array(dims * BLOCK_ROWS),
  };
}

/**
 * Maximum-likelihood parameters from responsibilities `resp` [rows×K] (rows sum to one), with
 * `regCovar` added to every variance. Rows whose responsibility for a component is exactly zero
 * are skipped for that component (they add exactly nothing).
 */
export function maximisationStep(
  x: Float64Array,
  rows: number,
  resp: Float64Array,
  regCovar: number,
  params: MixtureParams,
  scratch: MStepScratch,
): void {
  const { components: kk, dims: d, weights, means } = params;
  const { mass } = scratch;
  mass.fill(MASS_FLOOR);
  means.fill(0);
  // Pass 1: component masses and weighted sums, one sweep over the rows.
  for (let n = 0; n < rows; n++) {
    const xo = n * d;
    const ro = n * kk;
    for (let k = 0; k < kk; k++) {
      const w = resp[ro + k] as number;
      if (w === 0) continue;
      mass[k] = (mass[k] as number) + w;
      const mo = k * d;
      for (let j = 0; j < d; j++) means[mo + j] = (means[mo + j] as number) + w * (x[xo + j] as number);
    }
  }
  let total = 0;
  for (let k = 0; k < kk; k++) total += mass[k] as number;
  for (let k = 0; k < kk; k++) {
    const m = mass[k] as number;
    weights[k] = m / total;
    const mo = k * d;
    for (let j = 0; j < d; j++) means[mo + j] = (means[mo + j] as number) / m;
  }
  // Pass 2: covariances around the new means (centred, so large offsets do not cancel).
  if (isFullLayout(params.covariance)) fullCovariances(x, rows, resp, regCovar, params, scratch);
  else diagCovariances(x, rows, resp, regCovar, params, mass);
  if (params.covariance === 'tied') tieCovariances(params);
  else if (params.covariance === 'spherical') sphericalVariances(params);
}

/**
 * scikit-learn's tied covariance, Σ_k N_k Σ_k / N: each component's full covariance (regCovar on its
 * diagonal) averaged by the component weights, written back to every component.
 */
function tieCovariances(params: MixtureParams): void {
  const { components: kk, dims: d, weights, covariances: cov } = params;
  const dd = d * d;
  const tied = new Float64Array(dd);
  for (let k = 0; k < kk; k++) {
    const w = weights[k] as number;
    for (let i = 0; i < dd; i++) tied[i] = (tied[i] as number) + w * (cov[k * dd + i] as number);
  }
  for (let k = 0; k < kk; k++) cov.set(tied, k * dd);
}

/** scikit-learn's spherical variance: the mean over features of each component's diagonal variances. */
function sphericalVariances(params: MixtureParams): void {
  const { components: kk, dims: d, covariances: cov } = params;
  for (let k = 0; k < kk; k++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += cov[k * d + j] as number;
    cov.fill(sum / d, k * d, (k + 1) * d);
  }
}

function fullCovariances(
  x: Float64Array,
  rows: number,
  resp: Float64Array,
  regCovar: number,
  params: MixtureParams,
  scratch: MStepScratch,
): void {
  const { components: kk, dims: d, means, covariances: cov } = params;
  const { mass, block, weightedBlock: wblock } = scratch;
  const dd = d * d;
  cov.fill(0);
  for (let k = 0; k < kk; k++) {
    const mo = k * d;
    const co = k * dd;
    let n = 0;
    while (n < rows) {
      // Gather up to BLOCK_ROWS rows this component is responsible for, column-major, so the
      // lower-triangle accumulation below runs over contiguous memory with the sum in a register.
      let nb = 0;
      for (; n < rows && nb < BLOCK_ROWS; n++) {
        const w = resp[n * kk + k] as number;
        if (w === 0) continue;
        const xo = n * d;
        for (let j = 0; j < d; j++) {
          const t = (x[xo + j] as number) - (means[mo + j] as number);
          block[j * BLOCK_ROWS + nb] = t;
          wblock[j * BLOCK_ROWS + nb] = w * t;
        }
        nb++;
      }
      accumulateBlock(block, wblock, nb, d, cov, co);
    }
    const m = mass[k] as number;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const v = (cov[co + i * d + j] as number) / m;
        cov[co + i * d + j] = v;
        cov[co + j * d + i] = v;
      }
      cov[co + i * d + i] = (cov[co + i * d + i] as number) / m + regCovar;
    }
  }
}

/**
 * cov[co + i·D + j] += Σ_b wblock[i][b] · block[j][b] for the lower triangle (j ≤ i), in 2×2
 * register tiles so each load feeds two multiply-adds. Tiles on the diagonal also write the one
 * entry just above it; the caller mirrors the lower triangle over the upper one afterwards.
 */
function accumulateBlock(
  block: Float64Array,
  wblock: Float64Array,
  nb: number,
  d: number,
  cov: Float64Array,
  co: number,
): void {
  let i = 0;
  for (; i + 1 < d; i += 2) {
    const ia = i * BLOCK_ROWS;
    const ib = ia + BLOCK_ROWS;
    for (let j = 0; j <= i; j += 2) {
      const ja = j * BLOCK_ROWS;
      const jb = ja + BLOCK_ROWS;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let r = 0; r < nb; r++) {
        const wa = wblock[ia + r] as number;
        const wb = wblock[ib + r] as number;
        const da = block[ja + r] as number;
        const db = block[jb + r] as number;
        s00 += wa * da;
        s01 += wa * db;
        s10 += wb * da;
        s11 += wb * db;
      }
      const o = co + i * d + j;
      cov[o] = (cov[o] as number) + s00;
      cov[o + 1] = (cov[o + 1] as number) + s01;
      cov[o + d] = (cov[o + d] as number) + s10;
      cov[o + d + 1] = (cov[o + d + 1] as number) + s11;
    }
  }
  if (i < d) {
    // Odd D: the last row of the lower triangle on its own.
    const ia = i * BLOCK_ROWS;
    for (let j = 0; j <= i; j++) {
      const ja = j * BLOCK_ROWS;
      let s = 0;
      for (let r = 0; r < nb; r++) s += (wblock[ia + r] as number) * (block[ja + r] as number);
      cov[co + i * d + j] = (cov[co + i * d + j] as number) + s;
    }
  }
}

function diagCovariances(
  x: Float64Array,
  rows: number,
  resp: Float64Array,
  regCovar: number,
  params: MixtureParams,
  mass: Float64Array,
): void {
  const { components: kk, dims: d, means, covariances: cov } = params;
  cov.fill(0);
  for (let n = 0; n < rows; n++) {
    const xo = n * d;
    const ro = n * kk;
    for (let k = 0; k < kk; k++) {
      const w = resp[ro + k] as number;
      if (w === 0) continue;
      const mo = k * d;
      for (let j = 0; j < d; j++) {
        const t = (x[xo + j] as number) - (means[mo + j] as number);
        cov[mo + j] = (cov[mo + j] as number) + w * t * t;
      }
    }
  }
  for (let k = 0; k < kk; k++) {
    const m = mass[k] as number;
    for (let j = 0; j < d; j++) cov[k * d + j] = (cov[k * d + j] as number) / m + regCovar;
  }
}

/**
 * Derives the E-step factors from the parameters. Throws GmmError when a covariance is not
 * positive definite, which regCovar normally prevents. `logDet` is scratch of K values, `work`
 * of D×D.
 */
export function computeFactors(
  params: MixtureParams,
  factors: ScoringFactors,
  logDet: Float64Array,
  work: Float64Array,
): void {
  const { components: kk, dims: d, covariances: cov } = params;
  factors.means.set(params.means);
  if (isFullLayout(params.covariance)) {
    const dd = d * d;
    for (let k = 0; k < kk; k++) {
      const ld = inverseCholesky(cov, k * dd, d, factors.whiten, k * dd, work);
      if (Number.isNaN(ld)) throw illConditioned(k);
      logDet[k] = ld;
    }
  } else {
    for (let k = 0; k < kk; k++) {
      let ld = 0;
      for (let j = 0; j < d; j++) {
        const v = cov[k * d + j] as number;
        if (!(v > 0)) throw illConditioned(k);
        const p = 1 / Math.sqrt(v);
        factors.whiten[k * d + j] = p;
        ld += Math.log(p);
      }
      logDet[k] = ld;
    }
  }
  finishFactors(factors, params.weights, logDet);
}

function illConditioned(component: number): GmmError {
  return new GmmError(
    'ill_conditioned',
    `component ${component} has a covariance that is not positive definite (it collapsed onto too few or collinear rows); ` +
      'increase regCovar, use fewer components, or drop constant and duplicated columns',
  );
}
