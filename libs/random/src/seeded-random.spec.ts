import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random.js';

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and changes it with the seed', () => {
    const take = (seed: number): number[] => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
  });

  it('draws the mulberry32 sequence, so models and datasets built from a seed keep their bytes', () => {
    const rng = new SeededRandom(42);
    expect([rng.next(), rng.next(), rng.next()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ]);
  });

  it('stays in [0, 1) and spreads over the interval', () => {
    const rng = new SeededRandom(7);
    const values = Array.from({ length: 10_000 }, () => rng.next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    const deciles = new Set(values.map((v) => Math.floor(v * 10)));
    expect(deciles.size).toBe(10);
  });

  it('resumes from its stored state with the numbers it would have drawn', () => {
    const rng = new SeededRandom(5);
    rng.next();
    const resumed = new SeededRandom(0);
    resumed.state = rng.state;
    expect([resumed.next(), resumed.next()]).toEqual([rng.next(), rng.next()]);
  });
});
