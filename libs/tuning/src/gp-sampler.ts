import { fitKernel, GaussianProcess, type KernelParams } from './gaussian-process.js';
import { normCdf, normPdf } from './normal.js';
import { normal, rngFor } from './rng.js';
import type { Sampler, SamplerContext } from './sampler.js';
import { fromUnit, snapUnit, toUnit, type NumericParam, type Params, type SearchSpace } from './space.js';
import { TpeSampler } from './tpe-sampler.js';
import { score, type TrialRecord } from './trial.js';

export interface GpOptions {
  readonly seed?: number;
  /** Trials sampled at random before the GP is used (default 10, as TPE). */
  readonly nStartupTrials?: number;
  /** Uniform candidates per ask for the acquisition search (default 256). */
  readonly nCandidates?: number;
}

/**
 * Bayesian optimisation with a Gaussian process (Matérn 5/2, one lengthscale per dimension) and
 * expected improvement, over the numeric parameters that are always active. Categorical and conditional
 * parameters are drawn by TPE, given the GP's choice.
 *
 * Objectives are warped before fitting: log(y - min + δ), then standardised. Tuning losses span orders
 * of magnitude (Rosenbrock, a diverging learning rate); on the log scale the GP spends its resolution
 * near the best values, where the next point is chosen.
 *
 * Running trials are handled by a liar: each is added to the data with the larger of the value the GP
 * predicts for it and the mean of the (standardised) observations. That removes the posterior variance
 * there and, near the incumbent, lifts the mean, so EI, and the next worker, go elsewhere; the plain
 * kriging believer keeps workers within a hair of each other in a deep optimum.
 *
 * Kernel hyperparameters are refitted only when the number of complete trials reaches a point of a
 * geometric schedule (every ~20 %), on the first trials of the study in trial order; between those
 * points the last fit is reused from a cache. The answer stays a function of the history alone.
 */
export class GpSampler implements Sampler {
  readonly name = 'gp';
  private readonly seed: number;
  private readonly nStartup: number;
  private readonly nCandidates: number;
  private readonly tpe: TpeSampler;
  private readonly fits = new Map<string, KernelParams>();

  constructor(options: GpOptions = {}) {
    this.seed = options.seed ?? 0;
    this.nStartup = options.nStartupTrials ?? 10;
    this.nCandidates = options.nCandidates ?? 256;
    this.tpe = new TpeSampler({ seed: this.seed, nStartupTrials: this.nStartup });
  }

  ask(context: SamplerContext): Params {
    const { space, trials, direction, number } = context;
    const names = Object.keys(space).filter((n) => space[n]!.type !== 'categorical' && !space[n]!.condition);
    const specs = names.map((n) => space[n] as NumericParam);
    const done = trials
      .filter(
        (t) =>
          t.state === 'complete' &&
          t.value !== undefined &&
          Number.isFinite(t.value) &&
          names.every((n) => n in t.params),
      )
      .sort((a, b) => a.number - b.number);
    if (names.length === 0 || done.length < this.nStartup) return this.tpe.ask(context);

    const encode = (t: TrialRecord) =>
      Float64Array.from(specs, (p, j) => toUnit(p, t.params[names[j]!] as number));
    const xs = done.map(encode);
    const ys = warp(done.map((t) => score(direction, t.value!)));
    const kernel = this.kernelFor(space, done, xs, direction);
    let gp = GaussianProcess.fit(xs, ys, kernel);
    if (!gp) return this.tpe.ask(context);
    const incumbent = Math.min(...ys);

    const running = trials.filter((t) => t.state === 'running' && names.every((n) => n in t.params));
    if (running.length > 0) {
      const px = running.map(encode);
      const believed = GaussianProcess.fit(
        [...xs, ...px],
        [...ys, ...px.map((x) => Math.max(gp!.predict(x).mean, 0))],
        kernel,
      );
      if (believed) gp = believed;
    }

    const rng = rngFor(this.seed, number, 'gp');
    const d = names.length;
    const candidates: Float64Array[] = [];
    for (let i = 0; i < this.nCandidates; i++) candidates.push(Float64Array.from({ length: d }, () => rng()));
    // Local candidates around the best points: EI's maximum is usually near one of them.
    const order = Array.from(ys, (y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
    for (const { i } of order.slice(0, 5))
      for (let k = 0; k < 16; k++)
        candidates.push(
          Float64Array.from(xs[i]!, (v, j) =>
            clamp01(v + normal(rng) * Math.min(0.2, 0.25 * kernel.lengthscales[j]!)),
          ),
        );
    const scored = candidates.map((x) => ({ x, ei: expectedImprovement(gp!, x, incumbent).value }));
    scored.sort((a, b) => b.ei - a.ei);
    let best = scored[0]!;
    for (const start of scored.slice(0, 3)) {
      const refined = refine(gp, start.x, incumbent);
      if (refined.ei > best.ei) best = refined;
    }
    const chosen: Params = {};
    names.forEach((n, j) => (chosen[n] = fromUnit(specs[j]!, snapUnit(specs[j]!, best.x[j]!))));
    if (names.length === Object.keys(space).length) return chosen;
    return this.tpe.ask(context, chosen);
  }

  private kernelFor(
    space: SearchSpace,
    done: readonly TrialRecord[],
    xs: Float64Array[],
    direction: SamplerContext['direction'],
  ): KernelParams {
    const s = schedulePoint(done.length, this.nStartup);
    const key = `${JSON.stringify(Object.keys(space))}|${direction}|${done
      .slice(0, s)
      .map((t) => `${t.number}:${t.value}`)
      .join(',')}`;
    let k = this.fits.get(key);
    if (!k) {
      k = fitKernel(
        xs.slice(0, s),
        warp(done.slice(0, s).map((t) => score(direction, t.value!))),
        rngFor(this.seed, s, 'gp-fit'),
        s < 30 ? 1 : 0,
      );
      if (this.fits.size > 64) this.fits.clear();
      this.fits.set(key, k);
    }
    return k;
  }
}

/** The largest point ≤ n of the refit schedule start, ⌈1.12·start⌉, … (each step at least 1). */
export function schedulePoint(n: number, start: number): number {
  let s = Math.max(1, start);
  for (;;) {
    const next = Math.max(s + 1, Math.ceil(s * 1.2));
    if (next > n) return Math.min(s, n);
    s = next;
  }
}

function warp(values: readonly number[]): Float64Array {
  const min = Math.min(...values);
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const delta = Math.max(0.1 * (median - min), 1e-9 * Math.max(1, Math.abs(min)));
  const t = values.map((v) => Math.log(v - min + delta));
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const sd = Math.sqrt(t.reduce((a, b) => a + (b - mean) ** 2, 0) / t.length) || 1;
  return Float64Array.from(t, (v) => (v - mean) / sd);
}

/** EI for minimisation and, with `grad`, its gradient in x. */
function expectedImprovement(gp: GaussianProcess, x: Float64Array, incumbent: number, grad = false) {
  const p = gp.predict(x, grad);
  const sigma = Math.sqrt(p.variance);
  const z = (incumbent - p.mean) / sigma;
  const cdf = normCdf(z);
  const pdf = normPdf(z);
  const value = (incumbent - p.mean) * cdf + sigma * pdf;
  if (!grad) return { value };
  // dEI/dμ = -Φ(z), dEI/dσ = φ(z), dσ = dVar / 2σ.
  const g = Float64Array.from(p.dMean!, (dm, j) => -cdf * dm + (pdf * p.dVariance![j]!) / (2 * sigma));
  return { value, grad: g };
}

/** Projected gradient ascent on EI inside the unit cube, with a step that grows on success. */
function refine(gp: GaussianProcess, x0: Float64Array, incumbent: number): { x: Float64Array; ei: number } {
  let x = x0;
  let cur = expectedImprovement(gp, x, incumbent, true);
  let step = 0.02;
  for (let it = 0; it < 20 && step > 1e-5; it++) {
    const g = cur.grad!;
    const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
    if (!(norm > 0)) break;
    const xn = Float64Array.from(x, (v, j) => clamp01(v + (step * g[j]!) / norm));
    const next = expectedImprovement(gp, xn, incumbent, true);
    if (next.value > cur.value) {
      x = xn;
      cur = next;
      step *= 1.5;
    } else step *= 0.4;
  }
  return { x, ei: cur.value };
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
