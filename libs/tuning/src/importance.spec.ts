import { describe, expect, it } from 'vitest';
import { parameterImportance } from './importance.js';
import { RandomSampler } from './random-sampler.js';
import { parseSearchSpace, type Params } from './space.js';
import type { TrialRecord } from './trial.js';

const space = parseSearchSpace({
  lr: { type: 'float', low: 1e-4, high: 1, log: true },
  units: { type: 'int', low: 8, high: 256 },
  opt: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] },
  noise: { type: 'float', low: 0, high: 1 },
});

function study(f: (p: Params) => number, n = 120): TrialRecord[] {
  const sampler = new RandomSampler(5);
  const trials: TrialRecord[] = [];
  for (let number = 0; number < n; number++) {
    const params = sampler.ask({ space, direction: 'minimize', trials, number });
    trials.push({ number, state: 'complete', params, value: f(params) });
  }
  return trials;
}

describe('parameterImportance', () => {
  it('gives the dominant parameter most of the share, and the shares sum to 1', () => {
    const trials = study(
      (p) =>
        10 * (Math.log10(p.lr as number) + 2) ** 2 +
        (0.01 * (p.units as number)) / 256 +
        (p.opt === 'sgd' ? 0.05 : 0),
    );
    const imp = parameterImportance(space, trials, 'minimize');
    expect(Object.values(imp).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    expect(imp.lr).toBeGreaterThan(0.8);
    expect(imp.noise).toBeLessThan(0.05);
  });

  it('finds a categorical parameter that matters', () => {
    const trials = study(
      (p) => ({ adam: 0, sgd: 3, rmsprop: 1 })[p.opt as string]! + 0.1 * (p.noise as number),
    );
    const imp = parameterImportance(space, trials, 'maximize');
    expect(imp.opt).toBeGreaterThan(0.7);
  });

  it('is deterministic for a seed and shares equally without data', () => {
    const trials = study((p) => (p.units as number) + (p.noise as number) * 100);
    expect(parameterImportance(space, trials, 'minimize', { seed: 1 })).toEqual(
      parameterImportance(space, trials, 'minimize', { seed: 1 }),
    );
    expect(parameterImportance(space, [], 'minimize')).toEqual({
      lr: 0.25,
      units: 0.25,
      opt: 0.25,
      noise: 0.25,
    });
  });
});
