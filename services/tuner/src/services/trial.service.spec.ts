import { FailedPreconditionError, ResourceExhaustedError } from '@aimass/errors';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { StudyStoreRepository } from '../repositories/study-store.repository.js';
import { TunerEventsRepository } from '../repositories/tuner-events.repository.js';
import type { StudyRecord } from '../studies/study-record.js';
import { StudyService } from './study.service.js';
import { TrialService } from './trial.service.js';

const study = (over: Partial<StudyRecord> = {}): StudyRecord => ({
  study_id: 's1',
  spec: {
    name: 's',
    direction: 'minimize',
    metric: 'value',
    space: { x: { type: 'categorical', choices: ['a', 'b', 'c'] } },
    sampler: { type: 'random', seed: 1 },
    pruner: { type: 'none' },
    budget: { trials: 3 },
    parallelism: 3,
    retries: 0,
  },
  mode: 'ask-tell',
  state: 'RUNNING',
  trials: [],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...over,
});

/** A store holding one study, applying every change the way the KV compare-and-set would. */
function setup(initial: StudyRecord) {
  let current = initial;
  const store = strictMock<StudyStoreRepository>(
    {
      update: vi.fn(async (_id: string, change: (s: StudyRecord) => StudyRecord | undefined) => {
        const before = current;
        current = change(current) ?? current;
        return { before, after: current };
      }),
    },
    'StudyStoreRepository',
  );
  const publish = vi.fn(async () => undefined);
  const events = strictMock<TunerEventsRepository>({ publish }, 'TunerEventsRepository');
  const service = new TrialService(store, events, new StudyService(store, events));
  return { service, publish, current: () => current };
}

describe('TrialService', () => {
  it('never repeats a point of a small discrete space, and stops at the budget', async () => {
    const { service, current } = setup(study());
    for (let i = 0; i < 3; i++) await service.ask({ study_id: 's1' });
    expect(new Set(current().trials.map((t) => t.params.x))).toEqual(new Set(['a', 'b', 'c']));
    await expect(service.ask({ study_id: 's1' })).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('refuses a trial past the parallelism and an Ask on a training study', async () => {
    const busy = setup(study({ spec: { ...study().spec, parallelism: 1 } }));
    await busy.service.ask({ study_id: 's1' });
    await expect(busy.service.ask({ study_id: 's1' })).rejects.toBeInstanceOf(ResourceExhaustedError);
    const training = setup(study({ mode: 'training' }));
    await expect(training.service.ask({ study_id: 's1' })).rejects.toThrow(/training jobs/);
  });

  it('completes the study with its last Tell and announces it once', async () => {
    const { service, publish, current } = setup(study({ spec: { ...study().spec, budget: { trials: 1 } } }));
    const t = await service.ask({ study_id: 's1' });
    await service.tell({ study_id: 's1', trial: t.number, state: 'COMPLETE', value: 3, reason: '' });
    await service.tell({ study_id: 's1', trial: t.number, state: 'COMPLETE', value: 3, reason: '' });
    expect(current().state).toBe('COMPLETED');
    const types = publish.mock.calls.map((c) => (c as unknown[])[0]);
    expect(types).toEqual(['tuner.trial.started', 'tuner.trial.completed', 'tuner.study.completed']);
  });
});
