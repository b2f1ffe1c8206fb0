import type { FeatureDrift } from '@aimass/drift';
import { downsampleMinMax, type Series } from '../console/downsample.js';

/** One closed drift window's scores for one feature. */
export interface FeatureWindowScores {
  readonly ks_p_value: number;
  readonly psi: number;
  readonly wasserstein_norm: number;
  readonly drifted: boolean;
}

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
  readonly features: readonly FeatureWindowScores[];
}

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
 * One version's closed windows, oldest first, at most `capacity` of each kind (the oldest go first):
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
        features: features.map((f) => ({
          ks_p_value: f.ks_p_value,
          psi: f.psi,
          wasserstein_norm: f.wasserstein_norm,
          drifted: f.drifted,
        })),
      },
      this.capacity,
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
        const at = (pick: (s: FeatureWindowScores) => number) =>
          series(this.drift.map((w) => (w.features[f] ? pick(w.features[f]) : null)));
        return {
          name,
          live: h && this.latest ? { ...h, rows: this.latest.rows, window_end: this.latest.end } : null,
          ks_p_value: at((s) => s.ks_p_value),
          psi: at((s) => s.psi),
          wasserstein_norm: at((s) => s.wasserstein_norm),
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
