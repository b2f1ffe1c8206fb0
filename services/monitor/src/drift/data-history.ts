import type { FeatureDrift } from '@aimass/drift';
import { downsampleMinMax, type Series } from '../console/downsample.js';

/** The live histogram of one feature in the latest closed drift window, on the reference's edges. */
export interface LiveHistogram {
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly below: number;
  readonly above: number;
}

export interface DriftWindowEntry {
  /** Window end, epoch ms. */
  readonly time: number;
  readonly rows: number;
  readonly drifted: boolean;
  /** Per feature, in the features' order: KS p-values, PSI, normalised Wasserstein. */
  readonly ks: Float64Array;
  readonly psi: Float64Array;
  readonly wasserstein: Float64Array;
}

/** Feature-window cells one version keeps at most (a 784-feature model keeps 318 windows, ~6 MB). */
const CELLS_PER_VERSION = 250_000;

export interface AnomalyWindowEntry {
  readonly time: number;
  readonly scored: number;
  readonly observed_rate: number;
  readonly expected_rate: number;
}

/** What the Data view draws for one feature: its latest live histogram and its scores over time. */
export interface FeatureLiveView {
  readonly name: string;
  readonly live: (LiveHistogram & { readonly rows: number; readonly window_end: string }) | null;
  readonly ks_p_value: Series;
  readonly psi: Series;
  readonly wasserstein_norm: Series;
}

export interface VersionLiveView {
  readonly drift_windows: number;
  readonly anomaly_windows: number;
  readonly features: readonly FeatureLiveView[];
  /** 1 where a window drifted, 0 where it did not. */
  readonly drifted: Series;
  readonly anomaly_observed_rate: Series;
  readonly anomaly_expected_rate: Series;
}

/**
 * One version's closed windows, oldest first, at most `capacity` of each kind (the oldest go first;
 * fewer drift windows for a wide model, so it holds at most CELLS_PER_VERSION feature scores):
 * the drift scores per feature, the anomaly rates, and the live histograms of the latest drift window.
 * Filled by the same code that evaluates the windows, so the replay at start rebuilds it.
 */
export class VersionDataHistory {
  private names: readonly string[] = [];
  private readonly drift: DriftWindowEntry[] = [];
  private readonly anomaly: AnomalyWindowEntry[] = [];
  private latest: { end: string; rows: number; histograms: readonly LiveHistogram[] } | undefined;

  constructor(private readonly capacity: number) {}

  addDrift(
    end: string,
    rows: number,
    drifted: boolean,
    features: readonly FeatureDrift[],
    histograms: readonly LiveHistogram[],
  ): void {
    this.names = features.map((f) => f.feature);
    push(
      this.drift,
      {
        time: Date.parse(end),
        rows,
        drifted,
        ks: Float64Array.from(features, (f) => f.ks_p_value),
        psi: Float64Array.from(features, (f) => f.psi),
        wasserstein: Float64Array.from(features, (f) => f.wasserstein_norm),
      },
      Math.max(10, Math.min(this.capacity, Math.floor(CELLS_PER_VERSION / Math.max(1, features.length)))),
    );
    this.latest = { end, rows, histograms };
  }

  addAnomaly(end: string, scored: number, observedRate: number, expectedRate: number): void {
    push(
      this.anomaly,
      { time: Date.parse(end), scored, observed_rate: observedRate, expected_rate: expectedRate },
      this.capacity,
    );
  }

  /** The history thinned to at most `points` points per series (min/max per bucket). */
  view(points: number): VersionLiveView {
    const x = this.drift.map((w) => w.time);
    const series = (y: (number | null)[], xs = x): Series => downsampleMinMax({ x: xs, y }, points);
    const ax = this.anomaly.map((w) => w.time);
    return {
      drift_windows: this.drift.length,
      anomaly_windows: this.anomaly.length,
      features: this.names.map((name, f) => {
        const h = this.latest?.histograms[f];
        const at = (pick: (w: DriftWindowEntry) => Float64Array) =>
          series(this.drift.map((w) => (f < pick(w).length ? pick(w)[f]! : null)));
        return {
          name,
          live: h && this.latest ? { ...h, rows: this.latest.rows, window_end: this.latest.end } : null,
          ks_p_value: at((w) => w.ks),
          psi: at((w) => w.psi),
          wasserstein_norm: at((w) => w.wasserstein),
        };
      }),
      drifted: series(this.drift.map((w) => (w.drifted ? 1 : 0))),
      anomaly_observed_rate: series(
        this.anomaly.map((w) => w.observed_rate),
        ax,
      ),
      anomaly_expected_rate: series(
        this.anomaly.map((w) => w.expected_rate),
        ax,
      ),
    };
  }
}

function push<T>(list: T[], item: T, capacity: number): void {
  list.push(item);
  if (list.length > capacity) list.splice(0, list.length - capacity);
}
