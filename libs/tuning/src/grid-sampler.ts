import { rngFor } from './rng.js';
import type { Sampler, SamplerContext } from './sampler.js';
import {
  isActive,
  numericCardinality,
  orderedNames,
  type ParamValue,
  type Params,
  type SearchSpace,
} from './space.js';

/** A grid needs every parameter to take finitely many values. */
export class InfiniteGridError extends Error {
  override readonly name = 'InfiniteGridError';
}
/** Every point of the grid has been asked for. */
export class GridExhaustedError extends Error {
  override readonly name = 'GridExhaustedError';
}

/** The most points a grid may hold; past that the study should use another sampler. */
export const MAX_GRID_POINTS = 1_000_000;

/**
 * Every combination of the categorical, int and stepped float values, in an order shuffled by the seed
 * (so that a study stopped early still covers the grid evenly). Each ask returns the first point no
 * trial, running or finished, has taken; conditional parameters are part of a point only when active,
 * so a point is never repeated with a different value for an inactive parameter.
 */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  private cache?: { space: SearchSpace; points: Params[] };
  constructor(private readonly seed = 0) {}

  ask({ space, trials }: SamplerContext): Params {
    const points = this.pointsOf(space);
    const taken = new Set(trials.map((t) => keyOf(t.params)));
    const free = points.find((p) => !taken.has(keyOf(p)));
    if (!free) throw new GridExhaustedError(`all ${points.length} grid points have been asked for`);
    return { ...free };
  }

  /** The grid's points, in the order they are handed out. */
  pointsOf(space: SearchSpace): Params[] {
    if (this.cache?.space === space) return this.cache.points;
    const points = gridPoints(space);
    const rng = rngFor(this.seed, 'grid');
    for (let i = points.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [points[i], points[j]] = [points[j]!, points[i]!];
    }
    this.cache = { space, points };
    return points;
  }
}

export function gridPoints(space: SearchSpace): Params[] {
  const values: Record<string, ParamValue[]> = {};
  let total = 1;
  for (const [name, p] of Object.entries(space)) {
    if (p.type === 'categorical') values[name] = [...p.choices];
    else {
      const n = numericCardinality(p);
      if (!Number.isFinite(n))
        throw new InfiniteGridError(`grid sampler: parameter "${name}" is a float without a step`);
      const step = p.step ?? 1;
      values[name] = Array.from({ length: n }, (_, k) => Number((p.low + k * step).toPrecision(12)));
    }
    total *= values[name]!.length;
    if (total > MAX_GRID_POINTS)
      throw new InfiniteGridError(`grid sampler: the grid has more than ${MAX_GRID_POINTS} points`);
  }
  const names = orderedNames(space);
  const out: Params[] = [];
  const seen = new Set<string>();
  const walk = (i: number, params: Params) => {
    if (i === names.length) {
      const k = keyOf(params);
      if (!seen.has(k)) {
        seen.add(k);
        out.push({ ...params });
      }
      return;
    }
    const name = names[i]!;
    if (!isActive(space, params, name)) return walk(i + 1, params);
    for (const v of values[name]!) {
      params[name] = v;
      walk(i + 1, params);
    }
    delete params[name];
  };
  walk(0, {});
  return out;
}

function keyOf(params: Params): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}
