import { DeadlineExceededError, InvalidArgumentError, ResourceExhaustedError } from '@aimass/errors';
import type { InstancePool } from '../execution/instance-pool.js';
import type { ModelInstance } from '../execution/model-instance.js';
import type { InferenceRequest, InferenceResult } from '../types.js';
import { batchKeyOf, concatInputs, rowsOf, splitOutputs } from './batch-assembly.js';
import type { BatchingPolicy } from './batching-policy.js';
import type { Scheduler } from './scheduler.js';
import { VersionUnloadingError } from './version-unloading-error.js';

interface Pending {
  readonly request: InferenceRequest;
  readonly rows: number;
  readonly key: string;
  /** performance.now() when accepted. */
  readonly accepted: number;
  resolve(result: InferenceResult): void;
  reject(err: unknown): void;
}

/**
 * Triton's dynamic batcher: requests queue per model version; whenever an instance is idle, the
 * oldest request and the queued requests compatible with it (same outputs, same non-batch dims)
 * are stacked into one execution of at most maxBatchSize rows. With maxQueueDelayUs > 0 a batch
 * waits up to that long for more rows: for a preferred size when preferred sizes are set (as in
 * Triton), otherwise for as many rows as the previous execution carried. The queue is
 * bounded (RESOURCE_EXHAUSTED), and requests whose deadline passed are answered DEADLINE_EXCEEDED
 * before any compute is spent on them. On a successful enqueue the batcher owns the request until
 * its promise settles.
 */
export class DynamicBatcher implements Scheduler {
  private queue: Pending[] = [];
  private running = 0;
  private stopping = false;
  private drained: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Rows of the last execution: how full a batch recent traffic supports. */
  private expectedRows = 1;

  constructor(
    private readonly pool: InstancePool,
    private readonly label: string,
    private readonly policy: BatchingPolicy,
  ) {}

  get inFlight(): number {
    return this.queue.length + this.running;
  }

  enqueue(request: InferenceRequest): Promise<InferenceResult> {
    if (this.stopping) return Promise.reject(new VersionUnloadingError(this.label));
    if (this.inFlight >= this.policy.maxQueue) {
      return Promise.reject(
        new ResourceExhaustedError(
          `${this.label} has ${this.inFlight} requests queued or running (limit ${this.policy.maxQueue}); retry with backoff`,
        ),
      );
    }
    const rows = rowsOf(request);
    if (rows > this.policy.maxBatchSize) {
      return Promise.reject(
        new InvalidArgumentError(
          `the request has ${rows} rows but ${this.label} takes at most ${this.policy.maxBatchSize} per request (its max batch size); split it`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        request,
        rows,
        key: batchKeyOf(request),
        accepted: performance.now(),
        resolve,
        reject,
      });
      this.pump();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.pump();
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }

  /** Starts as many executions as there are idle instances and ready batches. */
  private pump(): void {
    while (this.queue.length > 0 && this.pool.idleCount > 0) {
      this.dropExpired();
      if (this.queue.length === 0) break;
      const batch = this.formBatch();
      if (!batch) break;
      const instance = this.pool.tryTake()!;
      void this.execute(instance, batch);
    }
    if (this.stopping && this.inFlight === 0) this.drained?.();
  }

  private dropExpired(): void {
    const now = Date.now();
    if (!this.queue.some((p) => p.request.deadline <= now)) return;
    const keep: Pending[] = [];
    for (const p of this.queue) {
      if (p.request.deadline <= now)
        p.reject(
          new DeadlineExceededError(
            `the deadline passed while the request waited in the queue of ${this.label}`,
          ),
        );
      else keep.push(p);
    }
    this.queue = keep;
  }

  /** The next batch to run now, or undefined when it should wait for more rows (timer set). */
  private formBatch(): Pending[] | undefined {
    const { maxBatchSize, maxQueueDelayUs, preferredBatchSizes } = this.policy;
    const head = this.queue[0]!;
    const picked: Pending[] = [];
    let rows = 0;
    for (const p of this.queue) {
      if (p.key !== head.key || rows + p.rows > maxBatchSize) continue;
      picked.push(p);
      rows += p.rows;
      if (rows === maxBatchSize) break;
    }
    const waited = (performance.now() - head.accepted) * 1000;
    const mayWait = !this.stopping && maxQueueDelayUs > 0 && waited < maxQueueDelayUs;
    if (preferredBatchSizes.length > 0 && rows < maxBatchSize) {
      const target = [...preferredBatchSizes].reverse().find((size) => size <= rows);
      if (target === undefined && mayWait) return this.waitFor(maxQueueDelayUs - waited);
      if (target !== undefined && target < rows) {
        let cut = 0;
        let n = 0;
        while (n < picked.length && cut + picked[n]!.rows <= target) cut += picked[n++]!.rows;
        picked.length = Math.max(n, 1);
        rows = picked.reduce((a, p) => a + p.rows, 0);
      }
    } else if (mayWait && rows < Math.min(maxBatchSize, this.expectedRows)) {
      // Wait only for as many rows as the last execution carried: under steady concurrent load the
      // answered callers send again within moments, and a lone caller (expected 1) never waits.
      return this.waitFor(maxQueueDelayUs - waited);
    }
    this.expectedRows = rows;
    const taken = new Set(picked);
    this.queue = this.queue.length === picked.length ? [] : this.queue.filter((p) => !taken.has(p));
    return picked;
  }

  private waitFor(us: number): undefined {
    this.timer ??= setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.floor(us / 1000)),
    );
    return undefined;
  }

  private async execute(instance: ModelInstance, batch: Pending[]): Promise<void> {
    this.running += batch.length;
    const started = performance.now();
    try {
      const rows = batch.map((p) => p.rows);
      const outputs = await instance.run(
        concatInputs(batch.map((p) => p.request)),
        batch[0]!.request.outputs,
      );
      const done = performance.now();
      const perRequest = batch.length === 1 ? [outputs] : splitOutputs(outputs, rows, this.label);
      const batchSize = rows.reduce((a, b) => a + b, 0);
      const computeUs = Math.round((done - started) * 1000);
      batch.forEach((p, i) =>
        p.resolve({
          outputs: perRequest[i]!,
          queueUs: Math.round((started - p.accepted) * 1000),
          computeUs,
          batchSize,
          leader: i === 0,
        }),
      );
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running -= batch.length;
      this.pool.give(instance);
      this.pump();
    }
  }
}
