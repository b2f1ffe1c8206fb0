import { describe, expect, it } from 'vitest';
import { GpSampler } from './gp-sampler.js';
import { GridExhaustedError, GridSampler, InfiniteGridError } from './grid-sampler.js';
import { RandomSampler } from './random-sampler.js';
import type { Sampler } from './sampler.js';
import { parseSearchSpace, type Params, type SearchSpace } from './space.js';
import { TpeSampler } from './tpe-sampler.js';
import type { TrialRecord } from './trial.js';

const space = parseSearchSpace({
  x: { type: 'float', low: -5, high: 5 },
  y: { type: 'float', low: 1e-3, high: 1, log: true },
  n: { type: 'int', low: 1, high: 8 },
  opt: { type: 'categorical', choices: ['adam', 'sgd'] },
  momentum: { type: 'float', low: 0, high: 0.9, step: 0.1, condition: { parent: 'opt', values: ['sgd'] } },
});
const objective = (p: Params) =>
  (p.x as number) ** 2 +
  Math.log10(p.y as number) ** 2 +
  Math.abs((p.n as number) - 3) +
  (p.opt === 'sgd' ? (p.momentum as number) : 0.5);

function runStudy(sampler: Sampler, s: SearchSpace, trials: number, f: (p: Params) => number): TrialRecord[] {
  const history: TrialRecord[] = [];
  for (let number = 0; number < trials; number++) {
    const params = sampler.ask({ space: s, direction: 'minimize', trials: history, number });
    history.push({ number, state: 'complete', params, value: f(params) });
  }
  return history;
}

function expectInSpace(p: Params) {
  expect(p.x).toBeGreaterThanOrEqual(-5);
  expect(p.x).toBeLessThanOrEqual(5);
  expect(p.y).toBeGreaterThanOrEqual(1e-3);
  expect(Number.isInteger(p.n)).toBe(true);
  expect(['adam', 'sgd']).toContain(p.opt);
  expect('momentum' in p).toBe(p.opt === 'sgd');
}

const samplers: [string, (seed: number) => Sampler][] = [
  ['random', (seed) => new RandomSampler(seed)],
  ['tpe', (seed) => new TpeSampler({ seed })],
  ['gp', (seed) => new GpSampler({ seed })],
];

describe.each(samplers)('%s sampler', (_, make) => {
  it('stays in the space and draws conditional parameters only when active', () => {
    for (const t of runStudy(make(1), space, 25, objective)) expectInSpace(t.params);
  });

  it('answers from the seed and history alone', () => {
    const history = runStudy(make(3), space, 20, objective);
    const context = { space, direction: 'minimize' as const, trials: history, number: 20 };
    const fresh = make(3).ask(context);
    const used = make(3);
    used.ask({ ...context, number: 99 });
    expect(used.ask(context)).toEqual(fresh);
    expect(make(4).ask(context)).not.toEqual(fresh);
  });
});

describe('model-based samplers', () => {
  const quadratic = parseSearchSpace({
    a: { type: 'float', low: -1, high: 1 },
    b: { type: 'float', low: -1, high: 1 },
  });
  const f = (p: Params) => ((p.a as number) - 0.3) ** 2 + ((p.b as number) + 0.2) ** 2;
  const best = (h: TrialRecord[]) => Math.min(...h.map((t) => t.value!));

  it.each([
    ['tpe', (seed: number) => new TpeSampler({ seed })],
    ['gp', (seed: number) => new GpSampler({ seed })],
  ])('%s beats random search on a quadratic', (_, make) => {
    let wins = 0;
    for (let seed = 0; seed < 3; seed++)
      if (
        best(runStudy(make(seed), quadratic, 40, f)) <
        best(runStudy(new RandomSampler(seed), quadratic, 40, f))
      )
        wins++;
    expect(wins).toBe(3);
  });

  it.each([
    ['tpe', (seed: number) => new TpeSampler({ seed })],
    ['gp', (seed: number) => new GpSampler({ seed })],
  ])('%s does not hand parallel workers the same point while trials run', (_, make) => {
    const history = runStudy(make(0), quadratic, 20, f);
    const sampler = make(0);
    const trials = [...history];
    const asked: Params[] = [];
    for (let number = 20; number < 24; number++) {
      const params = sampler.ask({ space: quadratic, direction: 'minimize', trials, number });
      asked.push(params);
      trials.push({ number, state: 'running', params });
    }
    for (let i = 0; i < asked.length; i++)
      for (let j = 0; j < i; j++) {
        const d = Math.hypot(
          (asked[i]!.a as number) - (asked[j]!.a as number),
          (asked[i]!.b as number) - (asked[j]!.b as number),
        );
        expect(d).toBeGreaterThan(1e-3);
      }
  });
});

describe('grid sampler', () => {
  it('visits every point of the grid once, then says it is exhausted', () => {
    const grid = parseSearchSpace({
      opt: { type: 'categorical', choices: ['adam', 'sgd'] },
      momentum: {
        type: 'float',
        low: 0,
        high: 0.5,
        step: 0.25,
        condition: { parent: 'opt', values: ['sgd'] },
      },
      layers: { type: 'int', low: 1, high: 2 },
    });
    const sampler = new GridSampler(0);
    const history: TrialRecord[] = [];
    for (let number = 0; number < 8; number++)
      history.push({
        number,
        state: 'running',
        params: sampler.ask({ space: grid, direction: 'minimize', trials: history, number }),
      });
    const keys = history.map((t) => JSON.stringify(t.params));
    expect(new Set(keys).size).toBe(8); // adam × 2 layers + sgd × 3 momenta × 2 layers
    expect(() => sampler.ask({ space: grid, direction: 'minimize', trials: history, number: 8 })).toThrow(
      GridExhaustedError,
    );
  });

  it('refuses a continuous float, naming it', () => {
    const s = parseSearchSpace({ lr: { type: 'float', low: 0, high: 1 } });
    expect(() => new GridSampler().ask({ space: s, direction: 'minimize', trials: [], number: 0 })).toThrow(
      new InfiniteGridError('grid sampler: parameter "lr" is a float without a step'),
    );
  });
});
