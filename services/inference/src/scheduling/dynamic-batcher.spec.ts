import { DeadlineExceededError, InvalidArgumentError, ResourceExhaustedError } from '@aimass/errors';
import { describe, expect, it } from 'vitest';
import { InstancePool } from '../execution/instance-pool.js';
import type { ModelInstance } from '../execution/model-instance.js';
import type { InferenceRequest, NamedTensor } from '../types.js';
import type { BatchingPolicy } from './batching-policy.js';
import { DynamicBatcher } from './dynamic-batcher.js';

/** An instance that doubles its input and records the batch sizes it ran; each run takes `ms`. */
function doubler(ms = 5) {
  const batches: number[] = [];
  const instance = {
    async run(inputs: readonly NamedTensor[]): Promise<NamedTensor[]> {
      batches.push(inputs[0]!.shape[0]!);
      await new Promise((r) => setTimeout(r, ms));
      const x = inputs[0]!.data as Float32Array;
      return [{ name: 'y', datatype: 'FP32', shape: inputs[0]!.shape, data: x.map((v) => v * 2) }];
    },
    close: async () => undefined,
  } as unknown as ModelInstance;
  return { instance, batches };
}

const policy: BatchingPolicy = {
  maxBatchSize: 8,
  maxQueueDelayUs: 0,
  preferredBatchSizes: [],
  maxQueue: 16,
  instances: 1,
};
const request = (values: number[], deadline = Infinity): InferenceRequest => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [values.length, 1], data: Float32Array.from(values) }],
  outputs: [],
  deadline,
});

describe('DynamicBatcher', () => {
  it('stacks requests that queue while the instance is busy and gives each its own rows back', async () => {
    const { instance, batches } = doubler();
    const batcher = new DynamicBatcher(new InstancePool([instance]), 'm', policy);
    const results = await Promise.all([[1], [2, 3], [4], [5]].map((v) => batcher.enqueue(request(v))));
    expect(results.map((r) => Array.from(r.outputs[0]!.data as Float32Array))).toEqual([
      [2],
      [4, 6],
      [8],
      [10],
    ]);
    expect(batches).toEqual([1, 4]);
    expect(results.filter((r) => r.leader)).toHaveLength(2);
    expect(results[1]!.batchSize).toBe(4);
  });

  it('never exceeds the max batch size and refuses a request larger than it', async () => {
    const { instance, batches } = doubler();
    const batcher = new DynamicBatcher(new InstancePool([instance]), 'm', { ...policy, maxBatchSize: 3 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => batcher.enqueue(request([i]))));
    expect(Math.max(...batches)).toBeLessThanOrEqual(3);
    await expect(batcher.enqueue(request([1, 2, 3, 4]))).rejects.toThrow(InvalidArgumentError);
  });

  it('answers RESOURCE_EXHAUSTED when the queue is full', async () => {
    const { instance } = doubler(20);
    const batcher = new DynamicBatcher(new InstancePool([instance]), 'm', { ...policy, maxQueue: 3 });
    const accepted = [1, 2, 3].map((v) => batcher.enqueue(request([v])));
    await expect(batcher.enqueue(request([4]))).rejects.toThrow(ResourceExhaustedError);
    await Promise.all(accepted);
  });

  it('spends no compute on a request whose deadline passed in the queue', async () => {
    const { instance, batches } = doubler(30);
    const batcher = new DynamicBatcher(new InstancePool([instance]), 'm', policy);
    const first = batcher.enqueue(request([1]));
    const late = batcher.enqueue(request([9], Date.now() + 5));
    await expect(late).rejects.toThrow(DeadlineExceededError);
    await first;
    expect(batches).toEqual([1]);
  });

  it('waits up to the queue delay for a fuller batch, and cuts at a preferred size', async () => {
    const { instance, batches } = doubler(1);
    const batcher = new DynamicBatcher(new InstancePool([instance]), 'm', {
      ...policy,
      maxQueueDelayUs: 20_000,
      preferredBatchSizes: [2],
    });
    const a = batcher.enqueue(request([1]));
    await new Promise((r) => setTimeout(r, 2));
    const b = batcher.enqueue(request([2]));
    const c = batcher.enqueue(request([3]));
    await Promise.all([a, b, c]);
    expect(batches).toEqual([2, 1]);
  });

  it('drains accepted requests on stop and refuses new ones', async () => {
    const { instance } = doubler(10);
    const batcher = new DynamicBatcher(new InstancePool([instance]), 'm', policy);
    const pending = batcher.enqueue(request([1]));
    await batcher.stop();
    await expect(pending).resolves.toMatchObject({ batchSize: 1 });
    await expect(batcher.enqueue(request([1]))).rejects.toThrow('being unloaded');
  });
});
