import { Worker } from 'node:worker_threads';
import type { PlainTensor, SessionRunner } from './session-runner.js';

type Reply = { id: number; outputs?: Record<string, PlainTensor>; error?: string };

/**
 * An onnxruntime session on its own worker thread. Inputs are copied to the worker (structured
 * clone); outputs come back by transfer. The runner owns its worker and ends it on release().
 */
export class WorkerRunner implements SessionRunner {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(o: Record<string, PlainTensor>): void; reject(e: Error): void }
  >();

  private constructor(
    private readonly worker: Worker,
    readonly outputNames: readonly string[],
  ) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.outputs!);
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) =>
      this.failAll(new Error(`the onnxruntime worker thread exited (code ${code})`)),
    );
  }

  /** Starts a worker and opens the session there; rejects with onnxruntime's message when it cannot. */
  static async open(model: Uint8Array | string, options: Record<string, unknown>): Promise<WorkerRunner> {
    const worker = new Worker(new URL('./ort-worker.js', import.meta.url), {
      workerData: { model, options },
    });
    const outputNames = await new Promise<string[]>((resolve, reject) => {
      worker.once('message', (m: { ready: boolean; outputNames?: string[]; error?: string }) =>
        m.ready ? resolve(m.outputNames!) : reject(new Error(m.error)),
      );
      worker.once('error', reject);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new WorkerRunner(worker, outputNames);
  }

  run(feeds: Record<string, PlainTensor>, fetches: readonly string[]): Promise<Record<string, PlainTensor>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, feeds, fetches: [...fetches] });
    });
  }

  async release(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('release');
    await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
