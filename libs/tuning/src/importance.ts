import { type Rng, rngFor } from './rng.js';
import { toUnit, type CategoricalValue, type SearchSpace } from './space.js';
import { completed, score, type Direction, type TrialRecord } from './trial.js';

export interface ImportanceOptions {
  readonly seed?: number;
  readonly trees?: number;
}

/**
 * Each parameter's share of the objective's variance (summing to 1), fANOVA-style: a random forest is
 * fitted to the complete trials, and a parameter's importance is the variance of its main effect, the
 * forest's prediction averaged over the other parameters (as observed) while this one sweeps its range.
 * A conditional parameter is swept only over the trials where it is active, and counts in proportion
 * to how often it is. With fewer than two complete trials every parameter gets an equal share.
 */
export function parameterImportance(
  space: SearchSpace,
  trials: readonly TrialRecord[],
  direction: Direction,
  options: ImportanceOptions = {},
): Record<string, number> {
  const names = Object.keys(space);
  const done = completed(trials);
  const equal = Object.fromEntries(names.map((n) => [n, 1 / names.length]));
  if (done.length < 2) return equal;
  const rows = done.map((t) => encode(space, names, t));
  const ys = done.map((t) => score(direction, t.value!));
  const rng = rngFor(options.seed ?? 0, 'importance');
  const forest = Array.from({ length: options.trees ?? 32 }, () => {
    const sample = Array.from({ length: rows.length }, () => Math.floor(rng() * rows.length));
    return growTree(
      sample.map((i) => rows[i]!),
      sample.map((i) => ys[i]!),
      rng,
      0,
    );
  });
  const predict = (x: Float64Array) => forest.reduce((s, t) => s + evalTree(t, x), 0) / forest.length;

  const raw = names.map((name, j) => {
    const base = rows.filter((r) => r[j]! >= 0);
    if (base.length === 0) return 0;
    const p = space[name]!;
    const grid =
      p.type === 'categorical'
        ? p.choices.map((_, k) => k)
        : Array.from({ length: 16 }, (_, k) => (k + 0.5) / 16);
    const effects = grid.map((g) => {
      let s = 0;
      for (const r of base) {
        const x = Float64Array.from(r);
        x[j] = g;
        s += predict(x);
      }
      return s / base.length;
    });
    const mean = effects.reduce((a, b) => a + b, 0) / effects.length;
    const variance = effects.reduce((a, b) => a + (b - mean) ** 2, 0) / effects.length;
    return (variance * base.length) / rows.length;
  });
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return equal;
  return Object.fromEntries(names.map((n, j) => [n, raw[j]! / total]));
}

/** Numeric parameters on the unit interval, categorical ones by choice index, inactive ones as -1. */
function encode(space: SearchSpace, names: readonly string[], t: TrialRecord): Float64Array {
  return Float64Array.from(names, (n) => {
    const p = space[n]!;
    const v = t.params[n];
    if (v === undefined) return -1;
    return p.type === 'categorical'
      ? Math.max(0, p.choices.indexOf(v as CategoricalValue))
      : toUnit(p, v as number);
  });
}

type Tree = { leaf: number } | { feature: number; threshold: number; left: Tree; right: Tree };

const MIN_LEAF = 2;
const MAX_DEPTH = 12;

/** A CART regression tree, splitting on a random half of the features at each node. */
function growTree(xs: Float64Array[], ys: number[], rng: Rng, depth: number): Tree {
  const n = ys.length;
  const mean = ys.reduce((a, b) => a + b, 0) / n;
  if (n < 2 * MIN_LEAF || depth >= MAX_DEPTH) return { leaf: mean };
  const d = xs[0]!.length;
  const features = Array.from({ length: d }, (_, j) => j).filter(() => d === 1 || rng() < 0.5);
  if (features.length === 0) features.push(Math.floor(rng() * d));
  let best: { feature: number; threshold: number; gain: number } | undefined;
  const total = ys.reduce((a, b) => a + b, 0);
  const totalSq = ys.reduce((a, b) => a + b * b, 0);
  const parentSse = totalSq - (total * total) / n;
  for (const f of features) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a]![f]! - xs[b]![f]!);
    let s = 0;
    let sq = 0;
    for (let k = 0; k < n - 1; k++) {
      const y = ys[order[k]!]!;
      s += y;
      sq += y * y;
      const left = k + 1;
      const a = xs[order[k]!]![f]!;
      const b = xs[order[k + 1]!]![f]!;
      if (left < MIN_LEAF || n - left < MIN_LEAF || a === b) continue;
      const sse = sq - (s * s) / left + (totalSq - sq) - ((total - s) * (total - s)) / (n - left);
      const gain = parentSse - sse;
      if (!best || gain > best.gain) best = { feature: f, threshold: (a + b) / 2, gain };
    }
  }
  if (!best || !(best.gain > 1e-12 * Math.max(1, parentSse))) return { leaf: mean };
  const li: number[] = [];
  const ri: number[] = [];
  for (let i = 0; i < n; i++) (xs[i]![best.feature]! <= best.threshold ? li : ri).push(i);
  return {
    feature: best.feature,
    threshold: best.threshold,
    left: growTree(
      li.map((i) => xs[i]!),
      li.map((i) => ys[i]!),
      rng,
      depth + 1,
    ),
    right: growTree(
      ri.map((i) => xs[i]!),
      ri.map((i) => ys[i]!),
      rng,
      depth + 1,
    ),
  };
}

function evalTree(tree: Tree, x: Float64Array): number {
  let t = tree;
  while (!('leaf' in t)) t = x[t.feature]! <= t.threshold ? t.left : t.right;
  return t.leaf;
}
