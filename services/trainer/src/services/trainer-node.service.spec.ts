import { loadConfig } from '@aimass/config';
import { describe, expect, it } from 'vitest';
import { TrainerNodeService } from './trainer-node.service.js';

describe('TrainerNodeService', () => {
  it('reports its pool and concurrency, and honestly no engine, family or job', () => {
    const node = new TrainerNodeService(loadConfig({ AIMASS_TRAINER_POOL: 'gpu', AIMASS_TRAINER_CONCURRENCY: '3' }));
    expect(node.describe()).toEqual({
      id: expect.stringMatching(new RegExp(`-${process.pid}$`)),
      pool: 'gpu',
      backend: 'none',
      concurrency: 3,
      active_jobs: 0,
      families: [],
    });
  });

  it('keeps one id for the life of the process', () => {
    const node = new TrainerNodeService(loadConfig({}));
    expect(node.describe().id).toBe(node.describe().id);
  });
});
