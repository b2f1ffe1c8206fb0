import { logSumExp, truncNormLogPdf } from './normal.js';
import { normal, type Rng, rngFor } from './rng.js';
import { sampleUniform } from './random-sampler.js';
import type { Sampler, SamplerContext } from './sampler.js';
import {
  fromUnit,
  isActive,
  orderedNames,
  snapUnit,
  toUnit,
  type CategoricalValue,
  type Params,
  type ParamSpec,
  type SearchSpace,
} from './space.js';
import { type Direction, score, type TrialRecord } from './trial.js';

export interface TpeOptions {
  readonly seed?: number;
  /** Trials sampled at random before the estimators are used (Optuna: 10). */
  readonly nStartupTrials?: number;
  /** Candidates drawn from l(x) per ask (Optuna: 24). */
  readonly nEiCandidates?: number;
  /** How many of n observations form the "good" set (Optuna: min(ceil(0.1 n), 25)). */
  readonly gamma?: (n: number) => number;
  readonly priorWeight?: number;
  /** Count running trials as bad observations so parallel workers spread out (default true). */
  readonly constantLiar?: boolean;
}

/**
 * Multivariate TPE as Optuna's `TPESampler(multivariate=True, group=True)`: the parameters that are
 * active together (same condition) are drawn jointly from a Parzen estimator l(x) over the good trials,
 * and the candidate maximising l(x)/g(x) is kept. Unlike Optuna's multivariate mode, kernel widths
 * follow the data per dimension, as in its univariate mode (see ParzenEstimator). With the constant liar, running trials join the bad
 * set: a point a worker is evaluating now makes its neighbourhood look worse, not better, so the next
 * worker goes elsewhere.
 */
export class TpeSampler implements Sampler {
  readonly name = 'tpe';
  private readonly seed: number;
  private readonly nStartup: number;
  private readonly nCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly priorWeight: number;
  private readonly liar: boolean;

  constructor(options: TpeOptions = {}) {
    this.seed = options.seed ?? 0;
    this.nStartup = options.nStartupTrials ?? 10;
    this.nCandidates = options.nEiCandidates ?? 24;
    this.gamma = options.gamma ?? ((n) => Math.min(Math.ceil(0.1 * n), 25));
    this.priorWeight = options.priorWeight ?? 1;
    this.liar = options.constantLiar ?? true;
  }

  ask(context: SamplerContext, fixed: Params = {}): Params {
    const { space, trials, direction, number } = context;
    const rng = rngFor(this.seed, number, 'tpe');
    const ranked = rankTrials(trials, direction, this.liar);
    const nComplete = trials.filter((t) => t.state === 'complete').length;
    if (nComplete < this.nStartup || ranked.length === 0) return sampleUniform(space, rng, fixed);
    const nBelow = Math.max(1, Math.min(ranked.length - 1, this.gamma(ranked.length)));
    const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
    const below = ranked.slice(0, nBelow).sort(byNumber);
    const above = ranked.slice(nBelow).sort(byNumber);

    const params: Params = {};
    for (const group of groupsOf(space)) {
      if (!isActive(space, params, group[0]!)) continue;
      const free = group.filter((n) => !(n in fixed));
      for (const n of group) if (n in fixed) params[n] = fixed[n]!;
      if (free.length === 0) continue;
      const has = (t: TrialRecord) => free.every((n) => n in t.params);
      const l = new ParzenEstimator(space, free, below.filter(has), this.priorWeight);
      const g = new ParzenEstimator(space, free, above.filter(has), this.priorWeight);
      let best: number[] | undefined;
      let bestScore = -Infinity;
      for (let i = 0; i < this.nCandidates; i++) {
        const x = l.sample(rng);
        const s = l.logPdf(x) - g.logPdf(x);
        if (s > bestScore || best === undefined) {
          best = x;
          bestScore = s;
        }
      }
      Object.assign(params, l.decode(best!));
    }
    return params;
  }
}

/**
 * Trials from best to worst: complete ones by value, then pruned ones (later step first, then by their
 * last value), then, with the liar, running ones. Failed trials carry no information.
 */
export function rankTrials(
  trials: readonly TrialRecord[],
  direction: Direction,
  liar: boolean,
): TrialRecord[] {
  const complete = trials
    .filter((t) => t.state === 'complete' && t.value !== undefined && Number.isFinite(t.value))
    .sort((a, b) => score(direction, a.value!) - score(direction, b.value!) || a.number - b.number);
  const lastReport = (t: TrialRecord): [number, number] => {
    const steps = Object.keys(t.intermediate ?? {}).map(Number);
    if (steps.length === 0) return [-Infinity, Infinity];
    const s = Math.max(...steps);
    return [s, score(direction, t.intermediate![s]!)];
  };
  const pruned = trials
    .filter((t) => t.state === 'pruned')
    .map((t) => ({ t, r: lastReport(t) }))
    .sort((a, b) => b.r[0] - a.r[0] || a.r[1] - b.r[1] || a.t.number - b.t.number)
    .map((x) => x.t);
  const running = liar ? trials.filter((t) => t.state === 'running').sort((a, b) => a.number - b.number) : [];
  return [...complete, ...pruned, ...running];
}

/** Parameters grouped by their condition, each group after its parent's group. */
export function groupsOf(space: SearchSpace): string[][] {
  const groups = new Map<string, string[]>();
  for (const name of orderedNames(space)) {
    const c = space[name]!.condition;
    const key = c ? `${c.parent}\u0000${JSON.stringify([...c.values].map(String).sort())}` : '';
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups.values()];
}

/** Optuna's weights: the 25 newest observations weigh 1, older ones ramp down linearly. */
function observationWeights(n: number): number[] {
  if (n < 25) return Array<number>(n).fill(1);
  const ramp = n - 25;
  return [
    ...Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1))),
    ...Array<number>(25).fill(1),
  ];
}

/**
 * A mixture with one product kernel per observation plus a prior kernel: truncated normals on the unit
 * interval for numeric parameters (bandwidth from the neighbouring observations, per dimension),
 * and a smoothed one-hot for categorical ones.
 */
class ParzenEstimator {
  private readonly specs: ParamSpec[];
  private readonly logWeights: number[];
  /** Per component, per dimension: numeric mean (unit) or category index. */
  private readonly centres: number[][];
  private readonly sigmas: number[][];
  /** Per component, per categorical dimension: probabilities of each choice. */
  private readonly catProbs: (number[] | undefined)[][];

  constructor(
    space: SearchSpace,
    private readonly names: readonly string[],
    observations: readonly TrialRecord[],
    priorWeight: number,
  ) {
    this.specs = names.map((n) => space[n]!);
    const m = observations.length;
    const w = [...observationWeights(m), priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.logWeights = w.map((x) => Math.log(x / total));
    this.centres = [];
    this.sigmas = [];
    this.catProbs = [];
    for (let k = 0; k <= m; k++) {
      const prior = k === m;
      const c: number[] = [];
      const s: number[] = [];
      const cp: (number[] | undefined)[] = [];
      this.specs.forEach((p, j) => {
        if (p.type === 'categorical') {
          const n = p.choices.length;
          const probs = Array<number>(n).fill(priorWeight / (m + 1));
          if (!prior) probs[p.choices.indexOf(observations[k]!.params[names[j]!] as CategoricalValue)]! += 1;
          const sum = probs.reduce((a, b) => a + b, 0);
          cp.push(probs.map((x) => x / sum));
          c.push(0);
          s.push(0);
        } else {
          c.push(prior ? 0.5 : toUnit(p, observations[k]!.params[names[j]!] as number));
          s.push(1);
          cp.push(undefined);
        }
      });
      this.centres.push(c);
      this.sigmas.push(s);
      this.catProbs.push(cp);
    }
    // Bandwidths as Optuna's univariate TPE sets them, per dimension: the larger gap to the neighbouring
    // centres (the prior's included), clipped below. Scott's rule, which Optuna's multivariate mode uses,
    // keeps kernels a fifth of the range wide whatever the data, so l(x) barely concentrates on the good
    // region within a hundred trials.
    this.specs.forEach((p, j) => {
      if (p.type === 'categorical' || m === 0) return;
      const order = Array.from({ length: m + 1 }, (_, k) => k).sort(
        (a, b) => this.centres[a]![j]! - this.centres[b]![j]!,
      );
      const mus = [0, ...order.map((k) => this.centres[k]![j]!), 1];
      order.forEach((k, i) => {
        let sg = Math.max(mus[i + 1]! - mus[i]!, mus[i + 2]! - mus[i + 1]!);
        if (mus.length >= 4 && i === 0) sg = mus[2]! - mus[1]!;
        if (mus.length >= 4 && i === order.length - 1) sg = mus[mus.length - 2]! - mus[mus.length - 3]!;
        this.sigmas[k]![j] = k === m ? 1 : Math.min(1, Math.max(sg, 1 / Math.min(100, m + 2)));
      });
    });
  }

  sample(rng: Rng): number[] {
    let u = rng();
    let k = 0;
    for (; k < this.logWeights.length - 1; k++) {
      u -= Math.exp(this.logWeights[k]!);
      if (u <= 0) break;
    }
    return this.specs.map((p, j) => {
      if (p.type === 'categorical') {
        const probs = this.catProbs[k]![j]!;
        let v = rng();
        for (let i = 0; i < probs.length; i++) if ((v -= probs[i]!) <= 0) return i;
        return probs.length - 1;
      }
      const mu = this.centres[k]![j]!;
      const sigma = this.sigmas[k]![j]!;
      let x = mu + sigma * normal(rng);
      for (let tries = 0; (x < 0 || x > 1) && tries < 100; tries++) x = mu + sigma * normal(rng);
      return snapUnit(p, Math.min(1, Math.max(0, x)));
    });
  }

  logPdf(x: readonly number[]): number {
    const terms = this.logWeights.map((lw, k) => {
      let s = lw;
      this.specs.forEach((p, j) => {
        s +=
          p.type === 'categorical'
            ? Math.log(this.catProbs[k]![j]![x[j]!]!)
            : truncNormLogPdf(x[j]!, this.centres[k]![j]!, this.sigmas[k]![j]!);
      });
      return s;
    });
    return logSumExp(terms);
  }

  decode(x: readonly number[]): Params {
    const out: Params = {};
    this.specs.forEach((p, j) => {
      out[this.names[j]!] = p.type === 'categorical' ? p.choices[x[j]!]! : fromUnit(p, x[j]!);
    });
    return out;
  }
}
