import type { tunerv1 } from '@aimass/contracts';
import { describe, expect, it } from 'vitest';
import { studyDetail, studyRow, type ImportanceView } from './study-view.js';

const SPACE = {
  lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
  layers: { type: 'int', low: 1, high: 5 },
  act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
  dropout: { type: 'float', low: 0, high: 0.5, condition: { parent: 'act', values: ['gelu'] } },
};

function trial(
  number: number,
  state: string,
  params: object,
  value = 0,
  intermediate = {},
): tunerv1.Trial__Output {
  return {
    number,
    state,
    params_json: JSON.stringify(params),
    value,
    has_value: state === 'COMPLETE',
    intermediate,
    job_id: '',
    attempts: 0,
    model: '',
    version: 0,
    reason: '',
    started_at: '',
    ended_at: '',
    sampler_ms: 0,
  };
}

function study(trials: tunerv1.Trial__Output[], direction = 'minimize'): tunerv1.Study__Output {
  const complete = trials.filter((t) => t.state === 'COMPLETE');
  const best = complete.reduce<tunerv1.Trial__Output | null>(
    (b, t) => (b === null || (direction === 'minimize' ? t.value < b.value : t.value > b.value) ? t : b),
    null,
  );
  return {
    study_id: 's1',
    name: 'study',
    state: 'RUNNING',
    direction,
    metric: 'loss',
    sampler: 'tpe',
    pruner: 'median',
    spec_json: JSON.stringify({ name: 'study', space: SPACE, budget: { trials: 10 } }),
    trials_started: trials.length,
    max_trials: 10,
    running: trials.filter((t) => t.state === 'RUNNING').length,
    complete: complete.length,
    pruned: trials.filter((t) => t.state === 'PRUNED').length,
    failed: 0,
    best_trial: best,
    has_best: best !== null,
    trials,
    created_at: '',
    updated_at: '',
    reason: '',
    mode: 'ask-tell',
  };
}

const NO_IMPORTANCE: ImportanceView = { importances: [], trials: 0, unavailable: 'not yet' };

describe('studyDetail', () => {
  const trials = [
    trial(0, 'COMPLETE', { lr: 1e-2, layers: 3, act: 'relu' }, 5),
    trial(1, 'PRUNED', { lr: 1e-4, layers: 1, act: 'tanh' }, 0, { 1: 9, 2: 8.5 }),
    trial(2, 'COMPLETE', { lr: 1e-1, layers: 5, act: 'gelu', dropout: 0.25 }, 2),
    trial(3, 'RUNNING', { lr: 1e-3, layers: 2, act: 'relu' }),
    trial(4, 'COMPLETE', { lr: 1e-3, layers: 2, act: 'relu' }, 3),
  ];

  it('plots each complete trial, each pruned one at its last report, and the best so far', () => {
    const { history } = studyDetail(study(trials), NO_IMPORTANCE, 500);
    expect(history.complete).toEqual({ x: [0, 1, 2, 3, 4], y: [5, null, 2, null, 3] });
    expect(history.pruned.y).toEqual([null, 8.5, null, null, null]);
    expect(history.best.y).toEqual([5, 5, 2, 2, 2]);
  });

  it('takes the best as the highest value when the study maximizes', () => {
    const { history, study: row } = studyDetail(study(trials, 'maximize'), NO_IMPORTANCE, 500);
    expect(history.best.y).toEqual([5, 5, 5, 5, 5]);
    expect(row).toMatchObject({ best_value: 5, best_trial: 0, trials_started: 5, pruned: 1 });
  });

  it('places parameters on their axes: log in log space, choices evenly, absent ones as gaps', () => {
    const { parallel } = studyDetail(study(trials), NO_IMPORTANCE, 500);
    expect(parallel.axes.map((a) => [a.name, a.kind, a.log])).toEqual([
      ['lr', 'float', true],
      ['layers', 'int', false],
      ['act', 'categorical', false],
      ['dropout', 'float', false],
      ['objective', 'objective', false],
    ]);
    expect(parallel.axes[2]!.ticks).toEqual([
      { at: 0, value: 'relu' },
      { at: 0.5, value: 'tanh' },
      { at: 1, value: 'gelu' },
    ]);
    expect(parallel.axes[4]!.ticks).toEqual([
      { at: 0, value: 2 },
      { at: 1, value: 5 },
    ]);
    // Pruned first, then complete from worst to best (drawn last, on top); running trials are left out.
    expect(parallel.lines.map((l) => l.trial)).toEqual([1, 0, 4, 2]);
    const [pruned, worst, , best] = parallel.lines;
    expect(pruned!.values).toEqual([0, 0, 0.5, null, null]);
    expect(worst!.values[0]).toBeCloseTo(2 / 3, 12);
    expect(worst!.values.slice(1)).toEqual([0.5, 0, null, 1]);
    expect(best!.values).toEqual([1, 1, 1, 0.5, 0]);
    expect(best!.objective).toBe(2);
  });

  it('thins the history to the points asked for, keeping the best value', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      trial(i, 'COMPLETE', { lr: 1e-3, layers: 1, act: 'relu' }, i === 700 ? -1 : 1000 - i),
    );
    const { history } = studyDetail(study(many), NO_IMPORTANCE, 50);
    expect(history.complete.x.length).toBeLessThanOrEqual(50);
    expect(Math.min(...(history.complete.y as number[]))).toBe(-1);
    expect(history.best.y.at(-1)).toBe(-1);
  });
});

describe('studyRow', () => {
  it('has no best before a trial completes', () => {
    expect(studyRow(study([trial(0, 'RUNNING', {})]))).toMatchObject({ best_value: null, best_trial: null });
  });
});
