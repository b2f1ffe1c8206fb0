import type { InstancePool } from '../execution/instance-pool.js';
import type { BatchingPolicy } from '../scheduling/batching-policy.js';
import { DirectScheduler } from '../scheduling/direct-scheduler.js';
import { DynamicBatcher } from '../scheduling/dynamic-batcher.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import type { ServableVersion } from '../types.js';

/**
 * A version that passed its digest check, with its warm instances behind the scheduler its
 * batching policy calls for. It owns its pool; its scheduler owns the requests it accepted.
 */
export class LoadedVersion {
  readonly scheduler: Scheduler;

  constructor(
    readonly version: ServableVersion,
    readonly pool: InstancePool,
    readonly policy: BatchingPolicy,
    /** Artifact size, counted against the memory budget. */
    readonly bytes: number,
  ) {
    const label = `model "${version.model}" version ${version.version}`;
    this.scheduler =
      policy.maxBatchSize > 1
        ? new DynamicBatcher(pool, label, policy)
        : new DirectScheduler(pool, label, policy.maxQueue);
  }

  /** Refuses new requests, answers the accepted ones, then closes the instances. */
  async unload(): Promise<void> {
    await this.scheduler.stop();
    await this.pool.close();
  }
}
