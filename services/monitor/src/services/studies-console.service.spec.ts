import type { tunerv1 } from '@aimass/contracts';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { TunerEventsRepository } from '../repositories/tuner-events.repository.js';
import { TunerStudiesRepository } from '../repositories/tuner-studies.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';
import { StudiesConsoleService } from './studies-console.service.js';

const STUDY = {
  study_id: 's1',
  name: 'branin',
  state: 'RUNNING',
  direction: 'minimize',
  metric: 'value',
  sampler: 'tpe',
  pruner: 'none',
  spec_json: JSON.stringify({ space: { x: { type: 'float', low: 0, high: 1 } } }),
  trials_started: 0,
  max_trials: 4,
  running: 0,
  complete: 0,
  pruned: 0,
  failed: 0,
  best_trial: null,
  has_best: false,
  trials: [],
  created_at: '',
  updated_at: '',
  reason: '',
  mode: 'ask-tell',
} satisfies tunerv1.Study__Output;

function setup(tuner: Partial<TunerStudiesRepository>, updates: Partial<ConsoleUpdatesService> = {}) {
  return new StudiesConsoleService(
    strictMock<TunerStudiesRepository>(tuner, 'TunerStudiesRepository'),
    strictMock<TunerEventsRepository>({}, 'TunerEventsRepository'),
    strictMock<ConsoleUpdatesService>(updates, 'ConsoleUpdatesService'),
  );
}

describe('StudiesConsoleService', () => {
  it('shows a study whose importance the tuner cannot estimate yet, saying why', async () => {
    const getStudy = vi.fn().mockResolvedValue(STUDY);
    const getImportance = vi
      .fn()
      .mockRejectedValue(
        new FailedPreconditionError('study s1 has 0 complete trial(s); importance needs at least 2'),
      );
    const detail = await setup({ getStudy, getImportance }).detail({ study: 's1' });
    expect(getStudy).toHaveBeenCalledWith('s1');
    expect(detail.importance).toEqual({
      importances: [],
      trials: 0,
      unavailable: 'study s1 has 0 complete trial(s); importance needs at least 2',
    });
    expect(detail.study.study_id).toBe('s1');
  });

  it('passes on the importance the tuner estimates, most important first', async () => {
    const importances = [
      { name: 'x', importance: 0.8 },
      { name: 'y', importance: 0.2 },
    ];
    const detail = await setup({
      getStudy: vi.fn().mockResolvedValue(STUDY),
      getImportance: vi.fn().mockResolvedValue({ importances, trials: 5 }),
    }).detail({ study: 's1', points: '50' });
    expect(detail.importance).toEqual({ importances, trials: 5, unavailable: '' });
  });

  it('lets a tuner outage through as UNAVAILABLE', async () => {
    const down = new UnavailableError('the tuner could not read study s1: connection refused');
    const service = setup({
      getStudy: vi.fn().mockRejectedValue(down),
      getImportance: vi.fn().mockRejectedValue(down),
    });
    await expect(service.detail({ study: 's1' })).rejects.toBe(down);
  });

  it.each([
    ['an id with a slash', { study: 'a/b' }, 'study must be a study id'],
    ['an empty id', { study: '' }, 'study must be a study id'],
    ['too few points', { study: 's1', points: '2' }, 'points must be at least 10'],
    ['points that are not a number', { study: 's1', points: 'many' }, 'points must be a number'],
  ])('refuses %s with INVALID_ARGUMENT naming the field', async (_what, query, message) => {
    const err = await setup({})
      .detail(query)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(message);
  });

  it("announces a study on the live feed when one of the tuner's events names it", () => {
    const study = vi.fn();
    const service = setup({}, { study });
    service.record({
      id: 'e1',
      type: 'tuner.trial.completed',
      source: 'aimass/tuner',
      time: '2026-01-01T00:00:00.000Z',
      subject: 's1',
      data: { study_id: 's1', trial: 3, state: 'complete', value: 1 },
    });
    expect(study).toHaveBeenCalledWith('s1');
  });
});
