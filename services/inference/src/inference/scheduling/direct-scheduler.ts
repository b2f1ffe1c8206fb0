import { DeadlineExceededError, ResourceExhaustedError, UnavailableError } from '@aimass/errors';
import type { ModelInstance } from '../execution/model-instance.js';
import type { InferenceRequest, InferenceResult } from '../types.js';
import type { Scheduler } from './scheduler.js';

/**
 * Runs each request on the instance as it arrives, with a bound on requests in flight so an
 * overloaded model answers RESOURCE_EXHAUSTED instead of queueing without limit.
 */
export class DirectScheduler implements Scheduler {
  private active = 0;
  private stopping = false;
  private drained: (() => void) | undefined;

  constructor(
    private readonly instance: ModelInstance,
    private readonly label: string,
    private readonly maxInFlight = 256,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  async enqueue(request: InferenceRequest): Promise<InferenceResult> {
    if (this.stopping) throw new UnavailableError(`${this.label} is being unloaded; retry to reach the current version`);
    if (this.active >= this.maxInFlight) {
      throw new ResourceExhaustedError(`${this.label} has ${this.active} requests in flight (limit ${this.maxInFlight}); retry with backoff`);
    }
    const accepted = performance.now();
    if (Date.now() >= request.deadline) throw new DeadlineExceededError(`the deadline passed before ${this.label} could run the request`);
    this.active++;
    try {
      const started = performance.now();
      const outputs = await this.instance.run(request.inputs, request.outputs);
      const done = performance.now();
      return {
        outputs,
        queueUs: Math.round((started - accepted) * 1000),
        computeUs: Math.round((done - started) * 1000),
        batchSize: request.inputs[0]?.shape[0] ?? 1,
      };
    } finally {
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
