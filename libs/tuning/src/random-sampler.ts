import { type Rng, rngFor } from './rng.js';
import type { Sampler, SamplerContext } from './sampler.js';
import { fromUnit, isActive, orderedNames, type Params, type ParamSpec, type SearchSpace } from './space.js';

/** Independent uniform draws (log-uniform on a log scale), conditional parameters only when active. */
export class RandomSampler implements Sampler {
  readonly name = 'random';
  constructor(private readonly seed = 0) {}

  ask({ space, number }: SamplerContext): Params {
    return sampleUniform(space, rngFor(this.seed, number, 'random'));
  }
}

export function sampleUniform(space: SearchSpace, rng: Rng, fixed: Params = {}): Params {
  const params: Params = {};
  for (const name of orderedNames(space)) {
    if (!isActive(space, params, name)) continue;
    params[name] = name in fixed ? fixed[name]! : uniformValue(space[name]!, rng);
  }
  return params;
}

export function uniformValue(p: ParamSpec, rng: Rng): Params[string] {
  if (p.type === 'categorical') return p.choices[Math.floor(rng() * p.choices.length)]!;
  return fromUnit(p, rng());
}
