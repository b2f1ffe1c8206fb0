import { describe, expect, it, vi } from 'vitest';
import { InstancePool } from '../execution/instance-pool.js';
import type { ModelInstance } from '../execution/model-instance.js';
import { DirectScheduler } from '../scheduling/direct-scheduler.js';
import { DynamicBatcher } from '../scheduling/dynamic-batcher.js';
import { VersionUnloadingError } from '../scheduling/version-unloading-error.js';
import type { ServableVersion } from '../types.js';
import { LoadedVersion } from './loaded-version.js';

const version: ServableVersion = {
  model: 'm',
  version: 1,
  sha256: '',
  artifact_key: 'k',
  format: 'onnx',
  signature: { inputs: [], outputs: [] },
};
const policy = { maxBatchSize: 8, maxQueueDelayUs: 0, preferredBatchSizes: [], maxQueue: 16, instances: 1 };

function pool() {
  const close = vi.fn().mockResolvedValue(undefined);
  return { close, pool: new InstancePool([{ close, run: vi.fn() } as unknown as ModelInstance]) };
}

describe('LoadedVersion', () => {
  it('builds the scheduler its batching policy calls for', () => {
    expect(new LoadedVersion(version, pool().pool, policy, 10).scheduler).toBeInstanceOf(DynamicBatcher);
    expect(
      new LoadedVersion(version, pool().pool, { ...policy, maxBatchSize: 1 }, 10).scheduler,
    ).toBeInstanceOf(DirectScheduler);
  });

  it('on unload refuses new requests and closes its instances', async () => {
    const { pool: p, close } = pool();
    const loaded = new LoadedVersion(version, p, policy, 10);
    await loaded.unload();
    expect(close).toHaveBeenCalledOnce();
    await expect(
      loaded.scheduler.enqueue({ inputs: [], outputs: [], deadline: Infinity }),
    ).rejects.toBeInstanceOf(VersionUnloadingError);
  });
});
