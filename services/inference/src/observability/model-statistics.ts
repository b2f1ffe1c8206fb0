import type { oip } from '@aimass/contracts';
import { LatencyHistogram } from '@aimass/telemetry';

/** Triton reports durations as a count and a total; no buckets. */
type Duration = LatencyHistogram;

interface VersionStats {
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  success: Duration;
  fail: Duration;
  queue: Duration;
  computeInfer: Duration;
  batches: Map<number, Duration>;
}

const duration = (): Duration => new LatencyHistogram([]);
/** Recorded in µs, reported in ns. */
const wire = (d: Duration): oip.StatisticDuration => ({ count: String(d.count), ns: String(d.sum * 1000) });

/**
 * Triton's per-version statistics (ModelStatistics RPC): cumulative counts and durations since the
 * version was first served by this process. Recording is a few additions on the hot path.
 * compute_input / compute_output stay zero: tensors are handed to onnxruntime without a separate
 * staging step, so all compute time is compute_infer.
 */
export class ModelStatisticsBook {
  private readonly stats = new Map<string, VersionStats & { model: string; version: string }>();

  private of(model: string, version: string): VersionStats {
    const key = `${model}\u0000${version}`;
    let s = this.stats.get(key);
    if (!s) {
      s = {
        model,
        version,
        lastInference: 0,
        inferenceCount: 0,
        executionCount: 0,
        success: duration(),
        fail: duration(),
        queue: duration(),
        computeInfer: duration(),
        batches: new Map(),
      };
      this.stats.set(key, s);
    }
    return s;
  }

  /** Forgets a version that is no longer loaded (Triton reports statistics of loaded versions). */
  forget(model: string, version: string): void {
    this.stats.delete(`${model}\u0000${version}`);
  }

  recordSuccess(
    model: string,
    version: string,
    r: {
      requestUs: number;
      queueUs: number;
      computeUs: number;
      batchSize: number;
      leader: boolean;
      rows: number;
    },
  ): void {
    const s = this.of(model, version);
    s.lastInference = Date.now();
    s.inferenceCount += r.rows;
    s.success.record(r.requestUs);
    s.queue.record(r.queueUs);
    if (r.leader) {
      s.executionCount++;
      s.computeInfer.record(r.computeUs);
      let b = s.batches.get(r.batchSize);
      if (!b) s.batches.set(r.batchSize, (b = duration()));
      b.record(r.computeUs);
    }
  }

  recordFailure(model: string, version: string, requestUs: number): void {
    this.of(model, version).fail.record(requestUs);
  }

  /** Statistics of every version matching name (all when empty) and version (all when empty). */
  list(name: string, version: string): oip.ModelStatistics[] {
    return [...this.stats.values()]
      .filter((s) => (!name || s.model === name) && (!version || s.version === version))
      .map((s) => ({
        name: s.model,
        version: s.version,
        last_inference: String(s.lastInference),
        inference_count: String(s.inferenceCount),
        execution_count: String(s.executionCount),
        inference_stats: {
          success: wire(s.success),
          fail: wire(s.fail),
          queue: wire(s.queue),
          compute_input: wire(duration()),
          compute_infer: wire(s.computeInfer),
          compute_output: wire(duration()),
        },
        batch_stats: [...s.batches.entries()]
          .sort(([a], [b]) => a - b)
          .map(([size, d]) => ({
            batch_size: String(size),
            compute_input: wire(duration()),
            compute_infer: wire(d),
            compute_output: wire(duration()),
          })),
      }));
  }
}
