import { describe, expect, it } from 'vitest';
import { TEST_FUNCTIONS } from './functions.js';

const MINIMISERS: Record<string, number[]> = {
  branin: [Math.PI, 2.275],
  hartmann6: [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
  rosenbrock5: [1, 1, 1, 1, 1],
  ackley5: [0, 0, 0, 0, 0],
};

describe.each(TEST_FUNCTIONS.map((f) => [f.name, f] as const))('%s', (name, fn) => {
  it('takes its known minimum at its known minimiser, inside the bounds', () => {
    const x = MINIMISERS[name]!;
    expect(x).toHaveLength(fn.bounds.length);
    x.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(fn.bounds[i]![0]));
    expect(fn.f(x)).toBeCloseTo(fn.minimum, 4);
  });

  it('is higher elsewhere', () => {
    const mid = fn.bounds.map(([lo, hi]) => lo + 0.37 * (hi - lo));
    expect(fn.f(mid)).toBeGreaterThan(fn.minimum + 1e-3);
  });
});
