import { lbfgs } from './lbfgs.js';
import { cholesky, inverseFromCholesky, solveLower, solveUpper } from './linalg.js';
import { normal, type Rng } from './rng.js';

const SQRT5 = Math.sqrt(5);

/** Matérn 5/2 ARD kernel hyperparameters; inputs live on the unit cube, outputs are standardised. */
export interface KernelParams {
  readonly lengthscales: readonly number[];
  readonly signal: number;
  readonly noise: number;
}

/**
 * Bounds of each log-hyperparameter. Fitting works on an unconstrained variable mapped into these by a
 * sigmoid, so L-BFGS needs no box handling. The noise floor keeps the Cholesky factor well conditioned
 * for noiseless objectives.
 */
const LOG_LS: [number, number] = [Math.log(0.01), Math.log(20)];
const LOG_SIGNAL: [number, number] = [Math.log(0.05), Math.log(20)];
const LOG_NOISE: [number, number] = [Math.log(1e-6), Math.log(0.5)];

/** A zero-mean GP posterior over n points of dimension d. */
export class GaussianProcess {
  readonly n: number;
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly inv2: Float64Array;

  private constructor(
    private readonly xs: readonly Float64Array[],
    readonly kernel: KernelParams,
    l: Float64Array,
    alpha: Float64Array,
  ) {
    this.n = xs.length;
    this.l = l;
    this.alpha = alpha;
    this.inv2 = Float64Array.from(kernel.lengthscales, (v) => 1 / (v * v));
  }

  /** The posterior given the data, or undefined when the kernel matrix cannot be factored. */
  static fit(
    xs: readonly Float64Array[],
    ys: ArrayLike<number>,
    kernel: KernelParams,
  ): GaussianProcess | undefined {
    const n = xs.length;
    const inv2 = kernel.lengthscales.map((v) => 1 / (v * v));
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const v = matern(r2(xs[i]!, xs[j]!, inv2), kernel.signal) + (i === j ? kernel.noise : 0);
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
    const l = cholesky(k, n);
    if (!l) return undefined;
    const alpha = solveUpper(l, n, solveLower(l, n, Float64Array.from(ys)));
    return new GaussianProcess(xs, kernel, l, alpha);
  }

  /** Posterior mean and variance at x, and their gradients when `grad` is set. */
  predict(
    x: ArrayLike<number>,
    grad = false,
  ): { mean: number; variance: number; dMean?: Float64Array; dVariance?: Float64Array } {
    const n = this.n;
    const d = x.length;
    const ks = new Float64Array(n);
    for (let i = 0; i < n; i++) ks[i] = matern(r2(x, this.xs[i]!, this.inv2), this.kernel.signal);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += ks[i]! * this.alpha[i]!;
    const v = solveLower(this.l, n, Float64Array.from(ks));
    let variance = this.kernel.signal;
    for (let i = 0; i < n; i++) variance -= v[i]! * v[i]!;
    variance = Math.max(variance, 1e-12);
    if (!grad) return { mean, variance };
    const b = solveUpper(this.l, n, v);
    const dMean = new Float64Array(d);
    const dVariance = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const xi = this.xs[i]!;
      const r = Math.sqrt(r2(x, xi, this.inv2));
      // dk/dx_j = -(5/3) s (1 + √5 r) e^{-√5 r} (x_j - xi_j) / ℓ_j²
      const c = -(5 / 3) * this.kernel.signal * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
      for (let j = 0; j < d; j++) {
        const dk = c * (x[j]! - xi[j]!) * this.inv2[j]!;
        dMean[j]! += this.alpha[i]! * dk;
        dVariance[j]! -= 2 * b[i]! * dk;
      }
    }
    return { mean, variance, dMean, dVariance };
  }
}

function r2(a: ArrayLike<number>, b: ArrayLike<number>, inv2: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j]! - b[j]!;
    s += t * t * inv2[j]!;
  }
  return s;
}

function matern(rr: number, signal: number): number {
  const r = Math.sqrt(rr);
  return signal * (1 + SQRT5 * r + (5 / 3) * rr) * Math.exp(-SQRT5 * r);
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const logit = (p: number) => Math.log(p / (1 - p));

function boundsOf(d: number): [number, number][] {
  return [...Array.from({ length: d }, () => LOG_LS), LOG_SIGNAL, LOG_NOISE];
}

function toKernel(z: Float64Array, d: number): KernelParams {
  const logs = boundsOf(d).map(([lo, hi], i) => lo + (hi - lo) * sigmoid(z[i]!));
  return {
    lengthscales: logs.slice(0, d).map(Math.exp),
    signal: Math.exp(logs[d]!),
    noise: Math.exp(logs[d + 1]!),
  };
}

function fromKernel(k: KernelParams): Float64Array {
  const d = k.lengthscales.length;
  const logs = [...k.lengthscales.map(Math.log), Math.log(k.signal), Math.log(k.noise)];
  return Float64Array.from(boundsOf(d), ([lo, hi], i) =>
    logit(Math.min(1 - 1e-9, Math.max(1e-9, (logs[i]! - lo) / (hi - lo)))),
  );
}

/**
 * Weak log-normal priors (means, standard deviations on the log scale): lengthscales grow with the
 * dimension as the typical distance between points on the unit cube does; the signal variance is near 1
 * for standardised outputs; the noise is small, as most tuning objectives are close to deterministic.
 */
function priorsOf(d: number): [number, number][] {
  const ls: [number, number] = [Math.log(0.35 * Math.sqrt(d)), 1.2];
  return [...Array.from({ length: d }, () => ls), [0, 1.2], [Math.log(1e-4), 3]];
}

/** Squared coordinate differences of every pair i > j, per dimension: they do not change while fitting. */
export function pairDiffs(xs: readonly Float64Array[]): Float64Array[] {
  const n = xs.length;
  const d = xs[0]!.length;
  const out = Array.from({ length: d }, () => new Float64Array((n * (n - 1)) / 2));
  let p = 0;
  for (let i = 1; i < n; i++)
    for (let j = 0; j < i; j++, p++)
      for (let m = 0; m < d; m++) {
        const t = xs[i]![m]! - xs[j]![m]!;
        out[m]![p] = t * t;
      }
  return out;
}

/** Negative log marginal likelihood plus priors, and its gradient in the sigmoid-mapped variables. */
export function negLogPosterior(
  n: number,
  diffs: readonly Float64Array[],
  ys: Float64Array,
  z: Float64Array,
) {
  const d = diffs.length;
  const kp = toKernel(z, d);
  const inv2 = kp.lengthscales.map((v) => 1 / (v * v));
  const pairs = (n * (n - 1)) / 2;
  const base = new Float64Array(pairs);
  const slope = new Float64Array(pairs);
  const k = new Float64Array(n * n);
  let p = 0;
  for (let i = 1; i < n; i++)
    for (let j = 0; j < i; j++, p++) {
      let rr = 0;
      for (let m = 0; m < d; m++) rr += diffs[m]![p]! * inv2[m]!;
      const r = Math.sqrt(rr);
      const e = kp.signal * Math.exp(-SQRT5 * r);
      const v = (1 + SQRT5 * r + (5 / 3) * rr) * e;
      base[p] = v;
      slope[p] = (5 / 3) * (1 + SQRT5 * r) * e;
      k[i * n + j] = k[j * n + i] = v;
    }
  for (let i = 0; i < n; i++) k[i * n + i] = kp.signal + kp.noise;
  const l = cholesky(k, n);
  const grad = new Float64Array(d + 2);
  if (!l) return { value: Infinity, grad };
  const alpha = solveUpper(l, n, solveLower(l, n, Float64Array.from(ys)));
  let value = 0.5 * ys.reduce((s, y, i) => s + y * alpha[i]!, 0);
  for (let i = 0; i < n; i++) value += Math.log(l[i * n + i]!);
  const kinv = inverseFromCholesky(l, n);
  // dNLL/dθ = 0.5 tr((K⁻¹ - ααᵀ) dK/dθ), θ the log-hyperparameters; off-diagonal pairs count twice.
  const gLog = new Float64Array(d + 2);
  p = 0;
  for (let i = 1; i < n; i++)
    for (let j = 0; j < i; j++, p++) {
      const w = kinv[i * n + j]! - alpha[i]! * alpha[j]!;
      const c = w * slope[p]!;
      for (let m = 0; m < d; m++) gLog[m]! += c * diffs[m]![p]! * inv2[m]!;
      gLog[d]! += w * base[p]!;
    }
  for (let i = 0; i < n; i++) {
    const w = 0.5 * (kinv[i * n + i]! - alpha[i]! * alpha[i]!);
    gLog[d]! += w * kp.signal;
    gLog[d + 1]! += w * kp.noise;
  }
  const logs = [...kp.lengthscales.map(Math.log), Math.log(kp.signal), Math.log(kp.noise)];
  const bounds = boundsOf(d);
  priorsOf(d).forEach(([mu, sd], i) => {
    value += (0.5 * (logs[i]! - mu) ** 2) / (sd * sd);
    gLog[i]! += (logs[i]! - mu) / (sd * sd);
    const s = sigmoid(z[i]!);
    grad[i] = gLog[i]! * (bounds[i]![1] - bounds[i]![0]) * s * (1 - s);
  });
  return { value, grad };
}

/** MAP kernel hyperparameters: L-BFGS from the prior means and from `restarts` random starts. */
export function fitKernel(
  xs: readonly Float64Array[],
  ys: Float64Array,
  rng: Rng,
  restarts = 1,
): KernelParams {
  const d = xs[0]!.length;
  const priors = priorsOf(d);
  const starts = [
    fromKernel({ lengthscales: priors.slice(0, d).map(([m]) => Math.exp(m)), signal: 1, noise: 1e-3 }),
  ];
  for (let r = 0; r < restarts; r++)
    starts.push(
      fromKernel({
        lengthscales: priors.slice(0, d).map(([m, s]) => Math.exp(m + 0.7 * s * normal(rng))),
        signal: Math.exp(0.5 * normal(rng)),
        noise: 1e-3,
      }),
    );
  const diffs = pairDiffs(xs);
  let best: { x: Float64Array; value: number } | undefined;
  for (const z0 of starts) {
    const r = lbfgs((z) => negLogPosterior(xs.length, diffs, ys, z), z0, 30);
    if (!best || r.value < best.value) best = r;
  }
  return toKernel(best!.x, d);
}
