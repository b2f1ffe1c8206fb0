import type { PredictionWindow } from '@aimass/contracts';
import { latencyQuantile } from '../latency/latency-buckets.js';
import { downsampleMinMax } from './downsample.js';

/** One prediction window of one model version as the Models view plots it. */
export interface PredictionPoint {
  /** window_end, epoch milliseconds. */
  readonly t: number;
  readonly requests: number;
  readonly failures: number;
  /** Requests per second over the window. */
  readonly throughput: number;
  readonly latency_p50_ms: number;
  readonly latency_p99_ms: number;
  /** Mean rows per execution over the window; null when the window ran none (or did not say). */
  readonly batch_size: number | null;
}

export type PredictionField = Exclude<keyof PredictionPoint, 't'>;
export const PREDICTION_FIELDS: readonly PredictionField[] = [
  'requests',
  'failures',
  'throughput',
  'latency_p50_ms',
  'latency_p99_ms',
  'batch_size',
];

/** A model version's series, one curve per field, each thinned on its own. */
export interface VersionSeries {
  readonly model: string;
  readonly version: string;
  readonly series: Readonly<Record<PredictionField, { x: readonly number[]; y: readonly (number | null)[] }>>;
}

const MAX_POINTS_PER_VERSION = 100_000;

/**
 * Prediction windows over time, per model version, from inference's summaries (one point per
 * window of each inference instance). The oldest points go past MAX_POINTS_PER_VERSION.
 */
export class PredictionSeries {
  private readonly byVersion = new Map<
    string,
    { model: string; version: string; points: PredictionPoint[] }
  >();

  /** Adds one window; returns the point as it goes out to live consoles. */
  add(window: PredictionWindow, windowStart: string, windowEnd: string): PredictionPoint {
    const key = JSON.stringify([window.model, window.version]);
    let entry = this.byVersion.get(key);
    if (!entry)
      this.byVersion.set(key, (entry = { model: window.model, version: window.version, points: [] }));
    const t = Date.parse(windowEnd);
    const seconds = Math.max((t - Date.parse(windowStart)) / 1000, 1e-3);
    const point: PredictionPoint = {
      t,
      requests: window.requests,
      failures: window.failures,
      throughput: window.requests / seconds,
      latency_p50_ms: latencyQuantile(window.latency_buckets, 0.5, window.latency_ms_max),
      latency_p99_ms: latencyQuantile(window.latency_buckets, 0.99, window.latency_ms_max),
      batch_size: window.executions ? (window.execution_rows ?? 0) / window.executions : null,
    };
    // Summaries of several instances interleave: keep the points in time order.
    const points = entry.points;
    let at = points.length;
    while (at > 0 && points[at - 1]!.t > t) at--;
    points.splice(at, 0, point);
    if (points.length > MAX_POINTS_PER_VERSION) points.splice(0, points.length - MAX_POINTS_PER_VERSION);
    return point;
  }

  /** The model's versions (all models when `model` is empty), each field thinned to `maxPoints`. */
  series(model: string, maxPoints: number): VersionSeries[] {
    return [...this.byVersion.values()]
      .filter((e) => model === '' || e.model === model)
      .map((e) => {
        const x = e.points.map((p) => p.t);
        const series = Object.fromEntries(
          PREDICTION_FIELDS.map((f) => [f, downsampleMinMax({ x, y: e.points.map((p) => p[f]) }, maxPoints)]),
        ) as VersionSeries['series'];
        return { model: e.model, version: e.version, series };
      });
  }
}
