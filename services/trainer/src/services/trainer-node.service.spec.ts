import { loadConfig } from '@aimass/config';
import { describe, expect, it } from 'vitest';
import { TrainerNodeService } from './trainer-node.service.js';

describe('TrainerNodeService', () => {
  it('reports no backend or family until the runner has chosen a backend', () => {
    const node = new TrainerNodeService(
      loadConfig({ AIMASS_TRAINER_POOL: 'gpu', AIMASS_TRAINER_CONCURRENCY: '3' }),
    );
    expect(node.describe()).toEqual({
      id: expect.stringMatching(new RegExp(`-${process.pid}$`)),
      pool: 'gpu',
      backend: 'none',
      adapter: '',
      concurrency: 3,
      active_jobs: 0,
      families: [],
    });
  });

  it('reports its backend, families and load as jobs start and end', () => {
    const node = new TrainerNodeService(loadConfig({ AIMASS_TRAINER_CONCURRENCY: '2' }));
    node.useBackend({ name: 'wasm', gpu: false, defaultBatchSize: 64, maxResidentBytes: 1024 ** 3 });
    node.jobStarted();
    expect(node.describe()).toMatchObject({
      backend: 'wasm',
      active_jobs: 1,
      families: ['ae', 'vae', 'gan', 'gmm'],
    });
    expect(node.heartbeat()).toMatchObject({
      node_id: node.id,
      pool: 'cpu',
      backend: 'wasm',
      active_jobs: 1,
      concurrency: 2,
      load: 0.5,
    });
    node.jobEnded();
    node.jobEnded();
    expect(node.heartbeat().active_jobs).toBe(0);
    expect(node.heartbeat()).not.toHaveProperty('adapter');
  });

  it('names the GPU adapter of a WebGPU backend in its description and heartbeats', () => {
    const node = new TrainerNodeService(loadConfig({ AIMASS_TRAINER_POOL: 'gpu' }));
    const adapter = {
      vendor: 'nvidia',
      device: 'nvidia-h200',
      description: 'NVIDIA: 580.159.04',
      api: 'vulkan' as const,
      software: false,
    };
    node.useBackend({
      name: 'webgpu',
      gpu: true,
      adapter,
      defaultBatchSize: 1024,
      maxResidentBytes: 2 ** 31,
    });
    expect(node.describe()).toMatchObject({ backend: 'webgpu', adapter: 'nvidia nvidia-h200 via vulkan' });
    expect(node.heartbeat()).toMatchObject({ backend: 'webgpu', adapter: 'nvidia nvidia-h200 via vulkan' });
  });

  it('has one id for the life of the process, usable as a NATS subject token', () => {
    const node = new TrainerNodeService(loadConfig({}));
    expect(node.describe().id).toBe(node.id);
    expect(node.id).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
