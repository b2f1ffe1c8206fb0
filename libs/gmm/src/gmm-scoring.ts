import { transposeBlocks } from './cholesky.js';
import {
  type ScoringFactors,
  allocateFactors,
  normaliseRows,
  finishFactors,
  weightedLogProb,
} from './gaussian-log-prob.js';
import {
  type GmmModel,
  checkData,
  checkModel,
  gmmParameterCount,
  isFullLayout,
  precisionLogDets,
} from './gmm-model.js';

// Applying a fitted mixture to data: per-sample log-likelihood, responsibilities, and the
// information criteria that compare mixtures of different sizes.

/** log p(x_n) for each of `rows` rows of `data` (row-major, model.dims columns). */
export function scoreSamples(model: GmmModel, data: Float64Array | Float32Array, rows: number): Float64Array {
  const out = new Float64Array(rows);
  evaluate(model, data, rows, out);
  return out;
}

/** Responsibilities p(k | x_n), row-major [rows × components]; each row sums to one. */
export function predictProba(model: GmmModel, data: Float64Array | Float32Array, rows: number): Float64Array {
  return evaluate(model, data, rows, null);
}

/** Mean per-sample log-likelihood. */
export function meanLogLikelihood(model: GmmModel, data: Float64Array | Float32Array, rows: number): number {
  return sum(scoreSamples(model, data, rows)) / rows;
}

/** Bayesian information criterion on `data` (lower is better). */
export function bic(model: GmmModel, data: Float64Array | Float32Array, rows: number): number {
  return -2 * sum(scoreSamples(model, data, rows)) + gmmParameterCount(model) * Math.log(rows);
}

/** Akaike information criterion on `data` (lower is better). */
export function aic(model: GmmModel, data: Float64Array | Float32Array, rows: number): number {
  return -2 * sum(scoreSamples(model, data, rows)) + 2 * gmmParameterCount(model);
}

function evaluate(
  model: GmmModel,
  data: Float64Array | Float32Array,
  rows: number,
  perRow: Float64Array | null,
): Float64Array {
  checkModel(model);
  const x = checkData(data, rows, model.dims);
  const f = factorsOf(model);
  const buf = new Float64Array(rows * model.components);
  weightedLogProb(f, x, rows, buf);
  normaliseRows(buf, rows, model.components, perRow);
  return buf;
}

/** E-step factors straight from the model's precision Cholesky factors (no refactorisation). */
function factorsOf(model: GmmModel): ScoringFactors {
  const { covariance, components: kk, dims: d } = model;
  const f = allocateFactors(covariance, kk, d);
  f.means.set(model.means);
  if (isFullLayout(covariance)) transposeBlocks(model.precisionsCholesky, kk, d, f.whiten);
  else f.whiten.set(model.precisionsCholesky);
  finishFactors(f, model.weights, precisionLogDets(model));
  return f;
}

function sum(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
