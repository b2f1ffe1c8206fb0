import { LATENCY_BUCKETS_MS, type PredictionWindow } from '@aimass/contracts';

/**
 * Counts predictions per model version between two flushes. Recording is a few arithmetic
 * operations on the hot path; publishing happens elsewhere, once per window.
 */
export class PredictionWindows {
  private windows = new Map<string, { -readonly [K in keyof PredictionWindow]: PredictionWindow[K] }>();
  private started = new Date();

  record(model: string, version: string, latencyMs: number, ok: boolean): void {
    const key = `${model}\u0000${version}`;
    let w = this.windows.get(key);
    if (!w) {
      w = {
        model,
        version,
        requests: 0,
        failures: 0,
        latency_ms_sum: 0,
        latency_ms_max: 0,
        latency_buckets: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0),
      };
      this.windows.set(key, w);
    }
    w.requests++;
    if (!ok) w.failures++;
    w.latency_ms_sum += latencyMs;
    if (latencyMs > w.latency_ms_max) w.latency_ms_max = latencyMs;
    let bucket = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
    if (bucket < 0) bucket = LATENCY_BUCKETS_MS.length;
    w.latency_buckets[bucket]!++;
  }

  /** Hands over the current windows and starts new ones; undefined when nothing was recorded. */
  take(): { window_start: string; window_end: string; windows: PredictionWindow[] } | undefined {
    const end = new Date();
    const windows = [...this.windows.values()];
    const start = this.started;
    this.windows = new Map();
    this.started = end;
    if (windows.length === 0) return undefined;
    return { window_start: start.toISOString(), window_end: end.toISOString(), windows };
  }
}
