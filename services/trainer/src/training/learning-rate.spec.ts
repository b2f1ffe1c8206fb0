import { describe, expect, it } from 'vitest';
import { chooseBatch } from './learning-rate.js';

const optimizer = (extra: object = {}) => ({ learning_rate: 0.001, lr_scaling: 'sqrt' as const, ...extra });

describe('chooseBatch', () => {
  it.each([
    ['the backend picks the batch: the rate is read at 64 and scaled by sqrt', {}, 1024, 60_000, 1024, 0.004],
    ['the CPU default keeps the rate as given', {}, 64, 60_000, 64, 0.001],
    ['a named batch size keeps its rate', { batch_size: 256 }, 1024, 60_000, 256, 0.001],
    [
      'a named batch with a reference scales from it',
      { batch_size: 256, optimizer: optimizer({ reference_batch_size: 64 }) },
      1024,
      60_000,
      256,
      0.002,
    ],
    ['linear scaling', { optimizer: optimizer({ lr_scaling: 'linear' }) }, 1024, 60_000, 1024, 0.016],
    ['no scaling', { optimizer: optimizer({ lr_scaling: 'none' }) }, 1024, 60_000, 1024, 0.001],
    ['fewer rows than a batch: one batch of every row, scaled for it', {}, 1024, 256, 256, 0.002],
  ])('%s', (_, spec, backendBatch, rows, batchSize, learningRate) => {
    const chosen = chooseBatch({ optimizer: optimizer(), ...spec }, backendBatch, rows);
    expect(chosen.batchSize).toBe(batchSize);
    expect(chosen.learningRate).toBeCloseTo(learningRate, 12);
  });
});
