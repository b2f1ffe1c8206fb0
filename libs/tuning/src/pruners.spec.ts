import { describe, expect, it } from 'vitest';
import { AshaPruner } from './asha-pruner.js';
import { HyperbandPruner } from './hyperband-pruner.js';
import { MedianPruner } from './median-pruner.js';
import type { Pruner } from './pruner.js';
import { seededRng } from './rng.js';
import type { TrialRecord, TrialState } from './trial.js';

/** A trial with reports `values` at steps 1, 2, ... */
function trial(number: number, values: number[], state: TrialState = 'running'): TrialRecord {
  return { number, state, params: {}, intermediate: Object.fromEntries(values.map((v, i) => [i + 1, v])) };
}

function decide(pruner: Pruner, t: TrialRecord, step: number, trials: TrialRecord[]): boolean {
  return pruner.shouldPrune({ direction: 'minimize', trial: t, step, trials });
}

describe('MedianPruner', () => {
  const others = [trial(0, [1, 1]), trial(1, [2, 2]), trial(2, [3, 3]), trial(3, [4, 4]), trial(4, [5, 5])];

  it('prunes a trial worse than the median of the other reports at that step', () => {
    const p = new MedianPruner({ nStartupTrials: 5 });
    expect(decide(p, trial(9, [3.5]), 1, others)).toBe(true);
    expect(decide(p, trial(9, [2.5]), 1, others)).toBe(false);
  });

  it('compares the trial’s best value so far, as Optuna does', () => {
    const p = new MedianPruner({ nStartupTrials: 5 });
    expect(decide(p, trial(9, [0.5, 4]), 2, others)).toBe(false);
  });

  it('waits for n_startup_trials reports at the step and for the warm-up steps', () => {
    expect(decide(new MedianPruner({ nStartupTrials: 6 }), trial(9, [10]), 1, others)).toBe(false);
    expect(decide(new MedianPruner({ nWarmupSteps: 2 }), trial(9, [10]), 1, others)).toBe(false);
  });

  it('counts running trials’ reports: it prunes before any trial completes', () => {
    expect(others.every((t) => t.state === 'running')).toBe(true);
    expect(decide(new MedianPruner(), trial(9, [10]), 1, others)).toBe(true);
  });

  it('maximises when asked to', () => {
    const p = new MedianPruner();
    expect(p.shouldPrune({ direction: 'maximize', trial: trial(9, [4.5]), step: 1, trials: others })).toBe(
      false,
    );
    expect(p.shouldPrune({ direction: 'maximize', trial: trial(9, [1.5]), step: 1, trials: others })).toBe(
      true,
    );
  });
});

describe('AshaPruner', () => {
  it('decides only at the rungs minResource · η^k', () => {
    const p = new AshaPruner({ minResource: 1, reductionFactor: 3 });
    expect(p.rungs(30)).toEqual([1, 3, 9, 27]);
    const others = [trial(0, [1, 1, 1]), trial(1, [1, 1, 1]), trial(2, [1, 1, 1])];
    expect(decide(p, trial(9, [5, 5]), 2, others)).toBe(false);
    expect(decide(p, trial(9, [5, 5, 5]), 3, others)).toBe(true);
  });

  it('keeps the best ⌊n/η⌋ of the values reported at the rung, its own included', () => {
    const p = new AshaPruner({ minResource: 1, reductionFactor: 2 });
    const others = [trial(0, [1]), trial(1, [2]), trial(2, [3])];
    expect(decide(p, trial(9, [1.5]), 1, others)).toBe(false); // 2nd of 4, keep 2
    expect(decide(p, trial(9, [2.5]), 1, others)).toBe(true); // 3rd of 4
    expect(decide(p, trial(9, [7]), 1, [])).toBe(false); // first at the rung
  });
});

describe('HyperbandPruner', () => {
  it('spreads trials over brackets, each starting to prune at its own rung', () => {
    const p = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3, seed: 1 });
    expect(p.brackets.map((b) => b.rungs(27))).toEqual([[1, 3, 9], [3, 9], [9], []]);
    const counts = [0, 0, 0, 0];
    for (let n = 0; n < 1000; n++) counts[p.bracketOf(n)]!++;
    expect(counts[0]).toBeGreaterThan(counts[3]!);
    expect(counts.every((c) => c > 0)).toBe(true);
  });

  it('compares a trial only with trials of its bracket', () => {
    const p = new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3, seed: 1 });
    const numbers = Array.from({ length: 200 }, (_, i) => i);
    const a = numbers.filter((n) => p.bracketOf(n) === 0);
    const other = numbers.filter((n) => p.bracketOf(n) !== 0).slice(0, 6);
    // Far better trials of other brackets do not make a bracket-0 trial look bad.
    const trials = other.map((n) => trial(n, [0]));
    expect(decide(p, trial(a[0]!, [5]), 1, trials)).toBe(false);
    expect(decide(p, trial(a[0]!, [5]), 1, [...trials, trial(a[1]!, [0]), trial(a[2]!, [0])])).toBe(true);
  });
});

describe.each([
  ['median', () => new MedianPruner({ nStartupTrials: 2 })],
  ['asha', () => new AshaPruner({ minResource: 1, reductionFactor: 3 })],
  ['hyperband', () => new HyperbandPruner({ minResource: 1, maxResource: 27, reductionFactor: 3, seed: 2 })],
])('%s pruner: decisions do not depend on parallelism', (_, make) => {
  const steps = 9;
  const rng = seededRng(42);
  const curves = Array.from({ length: 16 }, () => {
    const base = rng() * 4;
    return Array.from({ length: steps }, (_, s) => base / (s + 1) + rng() * 0.2);
  });

  /**
   * Delivers every trial's report at each step, in the given order within the step, and asks the
   * pruner once all reports of that step are in: the same set of reports, any interleaving.
   */
  function run(order: (step: number) => number[], states: (n: number) => TrialState): boolean[][] {
    const pruner = make();
    const reports = curves.map(() => ({}) as Record<number, number>);
    const decisions = curves.map(() => [] as boolean[]);
    for (let step = 1; step <= steps; step++) {
      for (const i of order(step)) reports[i]![step] = curves[i]![step - 1]!;
      const trials = order(step).map((i) => ({
        number: i,
        state: states(i),
        params: {},
        intermediate: { ...reports[i] },
      }));
      for (const t of trials)
        decisions[t.number]!.push(pruner.shouldPrune({ direction: 'minimize', trial: t, step, trials }));
    }
    return decisions;
  }

  it('gives the same decisions for the same reports in any interleaving, state or worker count', () => {
    const identity = curves.map((_, i) => i);
    const reference = run(
      () => identity,
      () => 'running',
    );
    const shuffle = seededRng(7);
    for (let k = 0; k < 5; k++) {
      const perms = Array.from({ length: steps + 1 }, () => [...identity].sort(() => shuffle() - 0.5));
      // As if some trials had already finished on other workers: their state must not matter.
      expect(
        run(
          (s) => perms[s]!,
          (n) => (n % 3 === 0 ? 'complete' : n % 3 === 1 ? 'pruned' : 'running'),
        ),
      ).toEqual(reference);
    }
    expect(reference.flat()).toContain(true);
    expect(reference.flat()).toContain(false);
  });

  it('ignores other trials’ reports at other steps, which only exist when they run ahead', () => {
    const pruner = make();
    const me = trial(3, curves[3]!.slice(0, 3));
    const peers = curves.filter((_, i) => i !== 3).map((c, i) => trial(i + 100, c.slice(0, 3)));
    const ahead = peers.map((t, i) => trial(t.number, i % 2 ? curves[i]! : curves[i]!.slice(0, 3)));
    expect(pruner.shouldPrune({ direction: 'minimize', trial: me, step: 3, trials: ahead })).toBe(
      pruner.shouldPrune({ direction: 'minimize', trial: me, step: 3, trials: peers }),
    );
  });
});
