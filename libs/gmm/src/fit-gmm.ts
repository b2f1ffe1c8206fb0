import { SeededRandom } from '@aimass/random';
import { transposeBlocks } from './cholesky.js';
import { allocateFactors, normaliseRows, weightedLogProb } from './gaussian-log-prob.js';
import { GmmError } from './gmm-error.js';
import {
  COVARIANCE_TYPES,
  type CovarianceType,
  type GmmModel,
  checkData,
  covarianceSize,
  isFullLayout,
} from './gmm-model.js';
import { kmeansLabels } from './kmeans-init.js';
import {
  type MStepScratch,
  type MixtureParams,
  allocateMStepScratch,
  allocateParams,
  computeFactors,
  copyParams,
  maximisationStep,
} from './mixture-params.js';

/** Starting parameters, e.g. a checkpointed model or another library's initialisation. */
export interface GmmInitialParams {
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

export interface GmmIterationProgress {
  readonly init: number;
  readonly iteration: number;
  /** Mean per-sample log-likelihood at this iteration's E-step. */
  readonly lowerBound: number;
  readonly change: number;
}

export const GMM_INITS = ['kmeans', 'kmeans++', 'random'] as const;
export type GmmInit = (typeof GMM_INITS)[number];

export interface GmmFitOptions {
  readonly components: number;
  readonly covariance?: CovarianceType;
  /** Initialisations to run; the one with the highest final lower bound wins. Default 1. */
  readonly nInit?: number;
  /** EM iterations per initialisation. Default 100. */
  readonly maxIter?: number;
  /** Stop when the mean log-likelihood changes by less than this between iterations. Default 1e-3. */
  readonly tol?: number;
  /** Added to every variance so no component collapses. Default 1e-6. */
  readonly regCovar?: number;
  /** Seeds the k-means++ sampling; the same seed gives the same model. Default 0. */
  readonly seed?: number;
  /**
   * 'kmeans' (default): k-means++ seeds refined by Lloyd rounds; 'kmeans++': the seeds alone;
   * 'random': random responsibilities, as scikit-learn's init_params='random'.
   */
  readonly init?: GmmInit;
  /** Lloyd rounds for init 'kmeans' (stops early when no label changes). Default 100. */
  readonly kmeansIterations?: number;
  /** Start EM from these parameters instead (then nInit must be 1). */
  readonly initialParams?: GmmInitialParams;
  /** Called after every EM iteration, synchronously. */
  readonly onIteration?: (progress: GmmIterationProgress) => void;
}

interface ResolvedOptions {
  components: number;
  covariance: CovarianceType;
  nInit: number;
  maxIter: number;
  tol: number;
  regCovar: number;
  seed: number;
  init: GmmInit;
  kmeansIterations: number;
}

/**
 * Fits a Gaussian mixture to `rows` rows of `cols` values (row-major) by expectation-maximisation,
 * in the same formulation as scikit-learn's GaussianMixture: the E-step's mean log-likelihood is
 * the lower bound that decides convergence, and regCovar is added to every variance. Throws
 * GmmError on bad options or data that cannot be fitted.
 */
export function fitGmm(
  data: Float64Array | Float32Array,
  rows: number,
  cols: number,
  options: GmmFitOptions,
): GmmModel {
  const opts = resolveOptions(options);
  const x = checkData(data, rows, cols);
  const { components: kk, covariance } = opts;
  if (rows < kk) throw new GmmError('too_few_rows', `${kk} components need at least ${kk} rows, got ${rows}`);
  if (options.initialParams !== undefined) checkInitialParams(options.initialParams, opts, cols);

  // Everything EM touches is allocated here, once; iterations only overwrite it.
  const params = allocateParams(covariance, kk, cols);
  const best = allocateParams(covariance, kk, cols);
  const factors = allocateFactors(covariance, kk, cols);
  const resp = new Float64Array(rows * kk);
  const scratch = allocateMStepScratch(kk, cols);
  const logDet = new Float64Array(kk);
  const work = new Float64Array(cols * cols);
  const labels = new Int32Array(rows);
  const rng = new SeededRandom(opts.seed);
  const random = (): number => rng.next();

  const initLowerBounds: number[] = [];
  let bestInit = -1;
  let bestBound = -Infinity;
  let bestConverged = false;
  let bestIterations = 0;

  for (let init = 0; init < opts.nInit; init++) {
    if (options.initialParams !== undefined) copyParams({ ...params, ...options.initialParams }, params);
    else if (opts.init === 'random') randomStart(x, rows, opts, random, resp, params, scratch);
    else kmeansStart(x, rows, opts, random, labels, resp, params, scratch);
    computeFactors(params, factors, logDet, work);

    let bound = -Infinity;
    let converged = false;
    let iterations = 0;
    for (let it = 1; it <= opts.maxIter; it++) {
      const previous = bound;
      weightedLogProb(factors, x, rows, resp);
      bound = normaliseRows(resp, rows, kk, null) / rows;
      maximisationStep(x, rows, resp, opts.regCovar, params, scratch);
      computeFactors(params, factors, logDet, work);
      iterations = it;
      const change = bound - previous;
      options.onIteration?.({ init, iteration: it, lowerBound: bound, change });
      if (Math.abs(change) < opts.tol) {
        converged = true;
        break;
      }
    }
    initLowerBounds.push(bound);
    if (bestInit < 0 || bound > bestBound) {
      bestInit = init;
      bestBound = bound;
      bestConverged = converged;
      bestIterations = iterations;
      copyParams(params, best);
    }
  }

  return modelFromParams(best, {
    converged: bestConverged,
    iterations: bestIterations,
    lowerBound: bestBound,
    bestInit,
    initLowerBounds,
  });
}

/**
 * The parameters EM would start from for the first initialisation with these options (k-means
 * labels, then one M-step). Useful to start another implementation from the same point, or to
 * record the start of a job.
 */
export function kmeansInitialParams(
  data: Float64Array | Float32Array,
  rows: number,
  cols: number,
  options: GmmFitOptions,
): GmmInitialParams {
  const opts = resolveOptions({ ...options, initialParams: undefined, nInit: 1 });
  const x = checkData(data, rows, cols);
  if (rows < opts.components)
    throw new GmmError(
      'too_few_rows',
      `${opts.components} components need at least ${opts.components} rows, got ${rows}`,
    );
  const params = allocateParams(opts.covariance, opts.components, cols);
  const resp = new Float64Array(rows * opts.components);
  kmeansStart(
    x,
    rows,
    opts,
    seededFloats(opts.seed),
    new Int32Array(rows),
    resp,
    params,
    allocateMStepScratch(opts.components, cols),
  );
  return { weights: params.weights, means: params.means, covariances: params.covariances };
}

/** Uniform random responsibilities, each row normalised to sum to one, then one M-step (scikit-learn's 'random'). */
function randomStart(
  x: Float64Array,
  rows: number,
  opts: ResolvedOptions,
  random: () => number,
  resp: Float64Array,
  params: MixtureParams,
  scratch: MStepScratch,
): void {
  const kk = opts.components;
  for (let n = 0; n < rows; n++) {
    let sum = 0;
    for (let k = 0; k < kk; k++) {
      const r = random();
      resp[n * kk + k] = r;
      sum += r;
    }
    for (let k = 0; k < kk; k++) resp[n * kk + k] = (resp[n * kk + k] as number) / sum;
  }
  maximisationStep(x, rows, resp, opts.regCovar, params, scratch);
}

/** Hard k-means labels turned into one-hot responsibilities, then one M-step, as scikit-learn starts. */
function kmeansStart(
  x: Float64Array,
  rows: number,
  opts: ResolvedOptions,
  random: () => number,
  labels: Int32Array,
  resp: Float64Array,
  params: MixtureParams,
  scratch: MStepScratch,
): void {
  const kk = opts.components;
  kmeansLabels(
    x,
    rows,
    x.length / rows,
    kk,
    random,
    opts.init === 'kmeans' ? opts.kmeansIterations : 0,
    labels,
  );
  resp.fill(0);
  for (let n = 0; n < rows; n++) resp[n * kk + (labels[n] as number)] = 1;
  maximisationStep(x, rows, resp, opts.regCovar, params, scratch);
}

/** Builds a GmmModel (with its precision Cholesky factors) from parameters and fit metadata. */
export function modelFromParams(
  params: MixtureParams,
  fit: Pick<GmmModel, 'converged' | 'iterations' | 'lowerBound' | 'bestInit' | 'initLowerBounds'>,
): GmmModel {
  const { covariance, components: kk, dims: d } = params;
  const factors = allocateFactors(covariance, kk, d);
  computeFactors(params, factors, new Float64Array(kk), new Float64Array(d * d));
  let precisionsCholesky = factors.whiten;
  if (isFullLayout(covariance)) {
    precisionsCholesky = new Float64Array(factors.whiten.length);
    transposeBlocks(factors.whiten, kk, d, precisionsCholesky);
  }
  return {
    covariance,
    components: kk,
    dims: d,
    weights: Float64Array.from(params.weights),
    means: Float64Array.from(params.means),
    covariances: Float64Array.from(params.covariances),
    precisionsCholesky,
    ...fit,
  };
}

function resolveOptions(options: GmmFitOptions): ResolvedOptions {
  const o = {
    components: options.components,
    covariance: options.covariance ?? 'full',
    nInit: options.nInit ?? 1,
    maxIter: options.maxIter ?? 100,
    tol: options.tol ?? 1e-3,
    regCovar: options.regCovar ?? 1e-6,
    seed: options.seed ?? 0,
    init: options.init ?? 'kmeans',
    kmeansIterations: options.kmeansIterations ?? 100,
  };
  const problem = (name: string, expected: string, got: unknown): never => {
    throw new GmmError('invalid_option', `${name} must be ${expected}, got ${String(got)}`);
  };
  if (!Number.isSafeInteger(o.components) || o.components < 1)
    problem('components', 'a positive integer', o.components);
  if (!COVARIANCE_TYPES.includes(o.covariance))
    problem('covariance', `one of ${COVARIANCE_TYPES.join(', ')}`, o.covariance);
  if (!Number.isSafeInteger(o.nInit) || o.nInit < 1) problem('nInit', 'a positive integer', o.nInit);
  if (!Number.isSafeInteger(o.maxIter) || o.maxIter < 1) problem('maxIter', 'a positive integer', o.maxIter);
  if (!(o.tol >= 0) || !Number.isFinite(o.tol)) problem('tol', 'a finite number ≥ 0', o.tol);
  if (!(o.regCovar >= 0) || !Number.isFinite(o.regCovar))
    problem('regCovar', 'a finite number ≥ 0', o.regCovar);
  if (!Number.isSafeInteger(o.seed)) problem('seed', 'an integer', o.seed);
  if (!GMM_INITS.includes(o.init)) problem('init', GMM_INITS.map((i) => `'${i}'`).join(', '), o.init);
  if (!Number.isSafeInteger(o.kmeansIterations) || o.kmeansIterations < 0)
    problem('kmeansIterations', 'an integer ≥ 0', o.kmeansIterations);
  if (options.initialParams !== undefined && o.nInit !== 1)
    problem('nInit', '1 when initialParams fixes the start', o.nInit);
  return o;
}

function checkInitialParams(p: GmmInitialParams, o: ResolvedOptions, d: number): void {
  const k = o.components;
  const expected: [string, Float64Array, number][] = [
    ['weights', p.weights, k],
    ['means', p.means, k * d],
    ['covariances', p.covariances, k * covarianceSize(o.covariance, d)],
  ];
  for (const [name, array, length] of expected) {
    if (!(array instanceof Float64Array) || array.length !== length) {
      throw new GmmError(
        'invalid_option',
        `initialParams.${name} must be a Float64Array of ${length} values for ${k} ${o.covariance} components in ${d} dims`,
      );
    }
    for (const v of array)
      if (!Number.isFinite(v))
        throw new GmmError('invalid_option', `initialParams.${name} holds a non-finite value`);
  }
  let sum = 0;
  for (const w of p.weights) {
    if (!(w > 0)) throw new GmmError('invalid_option', 'initialParams.weights must all be positive');
    sum += w;
  }
  if (Math.abs(sum - 1) > 1e-6)
    throw new GmmError('invalid_option', `initialParams.weights must sum to 1, got ${sum}`);
}

function seededFloats(seed: number): () => number {
  const rng = new SeededRandom(seed);
  return () => rng.next();
}
