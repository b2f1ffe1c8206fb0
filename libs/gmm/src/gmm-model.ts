import { GmmError } from './gmm-error.js';
import type { MixtureParams } from './mixture-params.js';

/** scikit-learn's covariance types: one full matrix per component, one shared full matrix, one variance per feature, one per component. */
export type CovarianceType = 'full' | 'tied' | 'diag' | 'spherical';
export const COVARIANCE_TYPES: readonly CovarianceType[] = ['full', 'tied', 'diag', 'spherical'];

/**
 * How a type is stored: `tied` as K copies of its shared D×D matrix (the `full` layout) and
 * `spherical` as K×D equal variances (the `diag` layout), so fitting's E-step, scoring and the ONNX
 * graph have one code path per layout; only the M-step and the parameter count tell them apart.
 */
export function isFullLayout(covariance: CovarianceType): boolean {
  return covariance === 'full' || covariance === 'tied';
}

/**
 * A fitted Gaussian mixture. Arrays are row-major Float64Arrays:
 * - weights [K], means [K×D];
 * - covariances [K×D×D] (full, tied) or [K×D] (diag, spherical: the variances);
 * - precisionsCholesky, the same shape: for full, the upper-triangular U_k with U_k U_kᵀ = Σ_k⁻¹
 *   (scikit-learn's `precisions_cholesky_`, so (x − μ_k) U_k is the whitened residual); for diag,
 *   1/√variance.
 */
export interface GmmModel extends MixtureParams {
  readonly precisionsCholesky: Float64Array;
  /** Whether the winning initialisation met the tolerance before maxIter. */
  readonly converged: boolean;
  /** EM iterations of the winning initialisation. */
  readonly iterations: number;
  /** Mean per-sample log-likelihood at the last E-step of the winning initialisation. */
  readonly lowerBound: number;
  /** Which initialisation won (0-based) and the final lower bound of each one. */
  readonly bestInit: number;
  readonly initLowerBounds: readonly number[];
}

/** The dims of each stored covariance block: D×D for the full layout, D for the diagonal one. */
export function covarianceSize(covariance: CovarianceType, dims: number): number {
  return isFullLayout(covariance) ? dims * dims : dims;
}

/** Free parameters, as BIC and AIC count them (weights sum to one). */
export function gmmParameterCount(model: Pick<GmmModel, 'covariance' | 'components' | 'dims'>): number {
  const { components: k, dims: d } = model;
  const covariance = {
    full: (k * d * (d + 1)) / 2,
    tied: (d * (d + 1)) / 2,
    diag: k * d,
    spherical: k,
  }[model.covariance];
  return covariance + k * d + k - 1;
}

/**
 * Checks that `data` holds `rows` finite rows of `cols` values and returns it as a Float64Array
 * (a Float32Array is widened once, here, so the hot loops see one array type).
 */
export function checkData(
  data: Float64Array | Float32Array,
  rows: number,
  cols: number,
  what = 'data',
): Float64Array {
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new GmmError('invalid_shape', `${what}: rows must be a positive integer, got ${rows}`);
  if (!Number.isSafeInteger(cols) || cols < 1)
    throw new GmmError('invalid_shape', `${what}: columns must be a positive integer, got ${cols}`);
  if (!(data instanceof Float64Array) && !(data instanceof Float32Array)) {
    throw new GmmError('invalid_shape', `${what} must be a Float64Array or Float32Array`);
  }
  if (data.length !== rows * cols) {
    throw new GmmError(
      'invalid_shape',
      `${what} holds ${data.length} values but ${rows} rows × ${cols} columns need ${rows * cols}; every row must have ${cols} values`,
    );
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v - v !== 0) {
      const row = Math.floor(i / cols);
      throw new GmmError(
        'non_finite_data',
        `${what} has a non-finite value (${v}) at row ${row}, column ${i - row * cols}; remove or impute it`,
      );
    }
  }
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

/** Checks the shapes of a model that came from outside (a checkpoint, a registry artifact). */
export function checkModel(model: GmmModel): void {
  const { components: k, dims: d, covariance } = model;
  const bad = (msg: string): never => {
    throw new GmmError('invalid_model', `invalid GMM model: ${msg}`);
  };
  if (!COVARIANCE_TYPES.includes(covariance))
    bad(`covariance must be one of ${COVARIANCE_TYPES.join(', ')}, got '${covariance}'`);
  if (!Number.isSafeInteger(k) || k < 1) bad(`components must be a positive integer, got ${k}`);
  if (!Number.isSafeInteger(d) || d < 1) bad(`dims must be a positive integer, got ${d}`);
  const size = covarianceSize(covariance, d);
  const expect: [string, Float64Array, number][] = [
    ['weights', model.weights, k],
    ['means', model.means, k * d],
    ['covariances', model.covariances, k * size],
    ['precisionsCholesky', model.precisionsCholesky, k * size],
  ];
  for (const [name, array, length] of expect) {
    if (!(array instanceof Float64Array) || array.length !== length)
      bad(`${name} must be a Float64Array of ${length} values`);
  }
  for (let c = 0; c < k; c++) if (!((model.weights[c] as number) > 0)) bad(`weight ${c} must be positive`);
}

/**
 * Per component, log det of its precision Cholesky factor: the sum of the logs of its diagonal
 * (full: every (d+1)-th value of the D×D block; diag: the D values). A diagonal value that is not
 * positive makes the model invalid.
 */
export function precisionLogDets(model: GmmModel): Float64Array {
  const { covariance, components: kk, dims: d, precisionsCholesky: u } = model;
  const stride = isFullLayout(covariance) ? d * d : d;
  const diagStep = isFullLayout(covariance) ? d + 1 : 1;
  const logDet = new Float64Array(kk);
  for (let k = 0; k < kk; k++) {
    let ld = 0;
    for (let j = 0; j < d; j++) {
      const v = u[k * stride + j * diagStep] as number;
      if (!(v > 0))
        throw new GmmError(
          'invalid_model',
          `invalid GMM model: component ${k} has a non-positive precision Cholesky diagonal`,
        );
      ld += Math.log(v);
    }
    logDet[k] = ld;
  }
  return logDet;
}
