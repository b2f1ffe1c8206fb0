import { DeadlineExceededError, ResourceExhaustedError } from '@aimass/errors';
import type { InstancePool } from '../execution/instance-pool.js';
import type { InferenceRequest, InferenceResult } from '../types.js';
import { rowsOf } from './batch-assembly.js';
import type { Scheduler } from './scheduler.js';
import { VersionUnloadingError } from './version-unloading-error.js';

/**
 * Runs each request on the next idle instance, with a bound on requests accepted so an overloaded
 * model answers RESOURCE_EXHAUSTED instead of queueing without limit. For models without a batch
 * dimension, or with batching turned off.
 */
export class DirectScheduler implements Scheduler {
  private active = 0;
  private stopping = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly pool: InstancePool,
    private readonly label: string,
    private readonly maxQueue = 1024,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  async enqueue(request: InferenceRequest): Promise<InferenceResult> {
    if (this.stopping) throw new VersionUnloadingError(this.label);
    if (this.active >= this.maxQueue) {
      throw new ResourceExhaustedError(
        `${this.label} has ${this.active} requests queued or running (limit ${this.maxQueue}); retry with backoff`,
      );
    }
    const accepted = performance.now();
    this.active++;
    const instance = await this.pool.take();
    try {
      // No compute for a request whose caller has given up.
      if (Date.now() >= request.deadline)
        throw new DeadlineExceededError(`the deadline passed while the request waited for ${this.label}`);
      const started = performance.now();
      const outputs = await instance.run(request.inputs, request.outputs);
      const done = performance.now();
      return {
        outputs,
        queueUs: Math.round((started - accepted) * 1000),
        computeUs: Math.round((done - started) * 1000),
        batchSize: rowsOf(request),
        leader: true,
      };
    } finally {
      this.pool.give(instance);
      this.active--;
      if (this.stopping && this.active === 0) this.drained?.();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.active === 0) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }
}
