import { LATENCY_BUCKETS_MS, type PredictionWindow } from '@aimass/contracts';
import { LatencyHistogram } from '@aimass/telemetry';
import type { VersionAnomalyCounts } from './anomaly-counts.js';

interface Window {
  readonly model: string;
  readonly version: string;
  requests: number;
  failures: number;
  executions: number;
  executionRows: number;
  readonly latencyMs: LatencyHistogram;
}

/**
 * Counts predictions per model version between two flushes. Recording is a few arithmetic
 * operations on the hot path; publishing happens elsewhere, once per window.
 */
export class PredictionWindows {
  private windows = new Map<string, Window>();
  private started = new Date();

  /**
   * One request's outcome. `executionRows` is given by one request of each execution (its leader):
   * the rows that execution ran, so the window's mean batch size counts every execution once.
   */
  record(model: string, version: string, latencyMs: number, ok: boolean, executionRows?: number): void {
    const key = `${model}\u0000${version}`;
    let w = this.windows.get(key);
    if (!w) {
      w = {
        model,
        version,
        requests: 0,
        failures: 0,
        executions: 0,
        executionRows: 0,
        latencyMs: new LatencyHistogram(LATENCY_BUCKETS_MS),
      };
      this.windows.set(key, w);
    }
    w.requests++;
    if (!ok) w.failures++;
    if (executionRows !== undefined) {
      w.executions++;
      w.executionRows += executionRows;
    }
    w.latencyMs.record(latencyMs);
  }

  /** Hands over the current windows and starts new ones; undefined when nothing was recorded. */
  take(
    sketches?: (model: string, version: string) => PredictionWindow['input_sketch'],
    anomalies: readonly VersionAnomalyCounts[] = [],
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
      executions: w.executions,
      execution_rows: w.executionRows,
      ...withSketch(sketches?.(w.model, w.version)),
    }));
    // Detector counts ride with their version's window; scoring runs behind serving, so counts can
    // arrive after a version's last request: they get a window of their own, with no requests.
    for (const a of anomalies) {
      if (a.counts.scored === 0) continue;
      const i = windows.findIndex((w) => w.model === a.model && w.version === a.version);
      if (i >= 0) windows[i] = { ...windows[i]!, anomaly: a.counts };
      else
        windows.push({
          model: a.model,
          version: a.version,
          requests: 0,
          failures: 0,
          latency_ms_sum: 0,
          latency_ms_max: 0,
          latency_buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
          anomaly: a.counts,
        });
    }
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
