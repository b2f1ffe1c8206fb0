import { describe, expect, it } from 'vitest';
import { mulberry32 } from './prng.js';

describe('mulberry32', () => {
  it('repeats its sequence for a seed and changes it with the seed', () => {
    const take = (seed: number): number[] => {
      const next = mulberry32(seed);
      return Array.from({ length: 5 }, () => next());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('stays in [0, 1) and spreads over the interval', () => {
    const next = mulberry32(7);
    const values = Array.from({ length: 10_000 }, () => next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    const deciles = new Set(values.map((v) => Math.floor(v * 10)));
    expect(deciles.size).toBe(10);
  });
});
