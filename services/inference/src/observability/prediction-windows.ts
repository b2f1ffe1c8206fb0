import { LATENCY_BUCKETS_MS, type PredictionWindow } from '@aimass/contracts';
import { LatencyHistogram } from '@aimass/telemetry';

interface Window {
  readonly model: string;
  readonly version: string;
  requests: number;
  failures: number;
  readonly latencyMs: LatencyHistogram;
}

/**
 * Counts predictions per model version between two flushes. Recording is a few arithmetic
 * operations on the hot path; publishing happens elsewhere, once per window.
 */
export class PredictionWindows {
  private windows = new Map<string, Window>();
  private started = new Date();

  record(model: string, version: string, latencyMs: number, ok: boolean): void {
    const key = `${model}\u0000${version}`;
    let w = this.windows.get(key);
    if (!w) {
      w = { model, version, requests: 0, failures: 0, latencyMs: new LatencyHistogram(LATENCY_BUCKETS_MS) };
      this.windows.set(key, w);
    }
    w.requests++;
    if (!ok) w.failures++;
    w.latencyMs.record(latencyMs);
  }

  /** Hands over the current windows and starts new ones; undefined when nothing was recorded. */
  take(
    sketches?: (model: string, version: string) => PredictionWindow['input_sketch'],
    anomalies?: (model: string, version: string) => PredictionWindow['anomaly'],
  ): { window_start: string; window_end: string; windows: PredictionWindow[] } | undefined {
    const end = new Date();
    const windows = [...this.windows.values()].map((w): PredictionWindow => ({
      model: w.model,
      version: w.version,
      requests: w.requests,
      failures: w.failures,
      latency_ms_sum: w.latencyMs.sum,
      latency_ms_max: w.latencyMs.max,
      latency_buckets: w.latencyMs.counts,
      ...withSketch(sketches?.(w.model, w.version)),
      ...withAnomaly(anomalies?.(w.model, w.version)),
    }));
    const start = this.started;
    this.windows = new Map();
    this.started = end;
    if (windows.length === 0) return undefined;
    return { window_start: start.toISOString(), window_end: end.toISOString(), windows };
  }
}

function withSketch(sketch: PredictionWindow['input_sketch']): Pick<PredictionWindow, 'input_sketch'> {
  return sketch ? { input_sketch: sketch } : {};
}

function withAnomaly(counts: PredictionWindow['anomaly']): Pick<PredictionWindow, 'anomaly'> {
  return counts && counts.scored > 0 ? { anomaly: counts } : {};
}
