import { describe, expect, it } from 'vitest';
import { fromUnit, isActive, parseSearchSpace, snapUnit, toUnit, type NumericParam } from './space.js';

describe('parseSearchSpace', () => {
  it.each([
    ['an empty space', {}, 'space: must define at least one parameter'],
    ['low ≥ high', { lr: { type: 'float', low: 1, high: 1 } }, 'space.lr.high: must be greater than low'],
    [
      'log with low ≤ 0',
      { lr: { type: 'float', low: 0, high: 1, log: true } },
      'space.lr.low: must be positive on a log scale',
    ],
    [
      'a step that does not divide the range',
      { x: { type: 'float', low: 0, high: 1, step: 0.3 } },
      'space.x.step: must divide',
    ],
    [
      'a step larger than the range',
      { x: { type: 'int', low: 0, high: 3, step: 4 } },
      'space.x.step: is larger than the range',
    ],
    ['a non-integer int bound', { n: { type: 'int', low: 0.5, high: 3 } }, 'space.n.low: must be an integer'],
    [
      'empty choices',
      { opt: { type: 'categorical', choices: [] } },
      'space.opt.choices: must list at least one choice',
    ],
    [
      'a step with log',
      { x: { type: 'float', low: 1, high: 10, log: true, step: 1 } },
      'space.x.step: cannot be combined with log',
    ],
    [
      'an unknown parent',
      { m: { type: 'float', low: 0, high: 1, condition: { parent: 'opt', values: ['sgd'] } } },
      'space.m.condition.parent: names unknown parameter "opt"',
    ],
    [
      'an unknown parent value',
      {
        opt: { type: 'categorical', choices: ['adam', 'sgd'] },
        m: { type: 'float', low: 0, high: 1, condition: { parent: 'opt', values: ['rmsprop'] } },
      },
      'space.m.condition.values: "rmsprop" is not a choice of "opt"',
    ],
    [
      'a numeric parent',
      {
        a: { type: 'float', low: 0, high: 1 },
        b: { type: 'float', low: 0, high: 1, condition: { parent: 'a', values: [1] } },
      },
      'space.b.condition.parent: "a" is not categorical',
    ],
    ['an unknown type', { x: { type: 'complex', low: 0, high: 1 } }, 'space.x.type'],
  ])('refuses %s, naming the field', (_, space, message) => {
    expect(() => parseSearchSpace(space)).toThrow(message);
  });

  it('accepts float, int, stepped, log and conditional parameters', () => {
    const space = parseSearchSpace({
      lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
      dropout: { type: 'float', low: 0, high: 0.5, step: 0.1 },
      units: { type: 'int', low: 16, high: 256, log: true },
      layers: { type: 'int', low: 1, high: 9, step: 2 },
      opt: { type: 'categorical', choices: ['adam', 'sgd'] },
      momentum: { type: 'float', low: 0, high: 0.99, condition: { parent: 'opt', values: ['sgd'] } },
    });
    expect(Object.keys(space)).toHaveLength(6);
    expect(isActive(space, { opt: 'sgd' }, 'momentum')).toBe(true);
    expect(isActive(space, { opt: 'adam' }, 'momentum')).toBe(false);
  });
});

describe('unit interval mapping', () => {
  const cases: [string, NumericParam, number[]][] = [
    ['float', { type: 'float', low: -2, high: 6 }, [-2, 0, 6]],
    ['log float', { type: 'float', low: 1e-5, high: 1e-1, log: true }, [1e-5, 1e-3, 1e-1]],
    ['stepped float', { type: 'float', low: 0, high: 0.5, step: 0.1 }, [0, 0.1, 0.3, 0.5]],
    ['int', { type: 'int', low: 1, high: 5 }, [1, 2, 5]],
    ['stepped int', { type: 'int', low: 1, high: 9, step: 2 }, [1, 3, 9]],
    ['log int', { type: 'int', low: 16, high: 256, log: true }, [16, 17, 100, 256]],
  ];
  it.each(cases)('%s round-trips through [0, 1]', (_, p, values) => {
    for (const v of values) {
      const u = toUnit(p, v);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThanOrEqual(1);
      expect(fromUnit(p, u)).toBeCloseTo(v, 10);
    }
  });

  it.each(cases)('%s maps the whole interval into the range, on the grid', (_, p) => {
    for (let i = 0; i <= 100; i++) {
      const v = fromUnit(p, i / 100);
      expect(v).toBeGreaterThanOrEqual(p.low);
      expect(v).toBeLessThanOrEqual(p.high);
      if (p.type === 'int') expect(Number.isInteger(v)).toBe(true);
      if (p.step)
        expect(Math.abs((v - p.low) / p.step - Math.round((v - p.low) / p.step))).toBeLessThan(1e-9);
    }
  });

  it('gives each value of a discrete parameter an equal share of the interval', () => {
    const p: NumericParam = { type: 'int', low: 0, high: 3 };
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[fromUnit(p, (i + 0.5) / 4000)]!++;
    expect(counts).toEqual([1000, 1000, 1000, 1000]);
    expect(snapUnit(p, 0.3)).toBe(0.375);
  });
});
