import type { ModelInstance } from './model-instance.js';

/**
 * The execution slots of one model version. A scheduler takes an idle instance, runs one request
 * or batch on it and gives it back; the pool owns the instances and closes them.
 */
export class InstancePool {
  private readonly idle: ModelInstance[];
  private readonly waiters: ((instance: ModelInstance) => void)[] = [];

  constructor(readonly instances: readonly ModelInstance[]) {
    if (instances.length === 0) throw new Error('an instance pool needs at least one instance');
    this.idle = [...instances];
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** An idle instance, or undefined when every one is busy. */
  tryTake(): ModelInstance | undefined {
    return this.idle.pop();
  }

  /** Waits for an idle instance. On resolve the caller owns it until give(). */
  take(): Promise<ModelInstance> {
    const instance = this.idle.pop();
    if (instance) return Promise.resolve(instance);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  give(instance: ModelInstance): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(instance);
    else this.idle.push(instance);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.instances.map((i) => i.close()));
  }
}
