import { makeEnvelope, type EventData } from '@aimass/contracts';
import { describe, expect, it } from 'vitest';
import { TrainingRuns } from './training-runs.js';

const base = { job_id: 'j1', pool: 'cpu', backend: 'wasm', node_id: 'n1' };
const started = (resumed_from_epoch: number, node_id = 'n1') =>
  makeEnvelope('trainer.job.started', {
    source: 'spec',
    subject: 'jobs/j1',
    data: { ...base, node_id, family: 'ae', epochs: 4, resumed_from_epoch },
  });
const progress = (epoch: number, losses: Record<string, number>, metrics: Record<string, number> = {}) =>
  makeEnvelope('trainer.job.progress', {
    source: 'spec',
    subject: 'jobs/j1',
    data: {
      ...base,
      epoch,
      epochs: 4,
      losses,
      metrics,
      samples_per_second: 1,
      learning_rate: 0.001,
    } satisfies EventData<'trainer.job.progress'>,
  });

describe('TrainingRuns', () => {
  it('folds a job that resumed from a checkpoint into one run: curves, attempts, log and result', () => {
    const runs = new TrainingRuns();
    runs.apply(started(0));
    expect(runs.apply(progress(1, { total: 3 }))).toEqual({
      job_id: 'j1',
      epoch: 1,
      values: { 'loss.total': 3 },
    });
    runs.apply(progress(2, { total: 2 }, { val_loss: 2.5 }));
    runs.apply(started(2, 'n2'));
    runs.apply(progress(3, { total: 1.5 }, { val_loss: 2 }));
    runs.apply(
      makeEnvelope('trainer.job.succeeded', {
        source: 'spec',
        subject: 'jobs/j1',
        data: { ...base, node_id: 'n2', model: 'm', version: 3, artifacts: {}, metrics: {}, epochs_run: 3 },
      }),
    );
    const detail = runs.detail('j1')!;
    expect(detail).toMatchObject({
      state: 'succeeded',
      epoch: 3,
      epochs: 4,
      model: 'm',
      version: 3,
      node_id: 'n2',
    });
    expect(detail.keys).toEqual(['loss.total', 'metric.val_loss']);
    expect(detail.last).toEqual({ 'loss.total': 1.5, 'metric.val_loss': 2 });
    expect(detail.attempts.map((a) => [a.node_id, a.resumed_from_epoch])).toEqual([
      ['n1', 0],
      ['n2', 2],
    ]);
    expect(detail.log.map((l) => l.text)).toEqual([
      'started on n1 (wasm), 4 epochs',
      'resumed on n2 from the checkpoint of epoch 2',
      'succeeded after 3 epochs: m@3',
    ]);
    // A curve that starts late is padded, so every curve lines up with the epochs.
    expect(runs.curves('j1', 100)).toEqual([
      { key: 'loss.total', x: [1, 2, 3], y: [3, 2, 1.5] },
      { key: 'metric.val_loss', x: [1, 2, 3], y: [null, 2.5, 2] },
    ]);
    expect(runs.curves('j1', 100, ['metric.val_loss'])?.map((c) => c.key)).toEqual(['metric.val_loss']);
    expect(runs.curves('nope', 100)).toBeUndefined();
  });

  it('marks a failed job with its reason, and lists the latest updated run first', () => {
    const runs = new TrainingRuns();
    runs.apply(started(0));
    const failed = makeEnvelope('trainer.job.failed', {
      source: 'spec',
      subject: 'jobs/j0',
      data: { job_id: 'j0', pool: 'cpu', backend: 'wasm', reason: 'dataset missing' },
    });
    runs.apply({ ...failed, time: new Date(Date.now() + 1000).toISOString() });
    expect(runs.list().map((r) => [r.job_id, r.state])).toEqual([
      ['j0', 'failed'],
      ['j1', 'running'],
    ]);
    expect(runs.detail('j0')!.log).toEqual([
      expect.objectContaining({ level: 'error', text: 'failed: dataset missing' }),
    ]);
  });
});
