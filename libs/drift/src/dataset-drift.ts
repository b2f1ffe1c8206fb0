import type { InputSketch } from './feature-sketch.js';
import { featureDrift, type FeatureDriftStatistics } from './drift-statistics.js';
import type { ReferenceDistribution } from './reference-distribution.js';

/** Thresholds of the drift rules; defaults in libs/config come from Evidently. */
export interface DriftThresholds {
  /** KS significance level for the dataset (Evidently's stattest_threshold, 0.05). */
  readonly pValue: number;
  /** Share of features drifted at `pValue` that makes the dataset drift (Evidently's drift_share, 0.5). */
  readonly driftShare: number;
  /** PSI above which a feature is flagged (Evidently's psi threshold, 0.1). */
  readonly psi: number;
  /** Normalised Wasserstein distance above which a feature is flagged (Evidently, 0.1). */
  readonly wasserstein: number;
}

export interface FeatureDrift extends FeatureDriftStatistics {
  /** KS p-value below pValue / features (Bonferroni): the family-wise false-alarm rate stays at pValue. */
  readonly drifted: boolean;
  readonly psi_exceeded: boolean;
  readonly wasserstein_exceeded: boolean;
}

export interface DatasetDrift {
  readonly drifted: boolean;
  /** Which rule fired: 'bonferroni' (one feature's p-value), 'share' (Evidently's share), or ''. */
  readonly rule: '' | 'bonferroni' | 'share';
  readonly drifted_share: number;
  readonly features: FeatureDrift[];
}

/**
 * Dataset drift for one window: it drifts when any feature's KS p-value is below pValue/features
 * (Bonferroni, so one shifted feature among many is caught while the chance of a false alarm per
 * window stays at most pValue), or when at least driftShare of the features have p < pValue
 * (Evidently's dataset rule, for broad but mild shifts). PSI and Wasserstein are reported and
 * flagged against their thresholds; the decision rests on KS, whose p-value accounts for the
 * window's autocorrelation.
 */
export function datasetDrift(
  references: readonly ReferenceDistribution[],
  live: InputSketch,
  thresholds: DriftThresholds,
): DatasetDrift {
  const n = Math.min(references.length, live.features.length);
  const features: FeatureDrift[] = [];
  let atLevel = 0;
  for (let f = 0; f < n; f++) {
    const ref = references[f] as ReferenceDistribution;
    const stats = featureDrift(ref, live.features[f]!, ref.feature.name);
    if (stats.ks_p_value < thresholds.pValue) atLevel++;
    features.push({
      ...stats,
      drifted: stats.ks_p_value < thresholds.pValue / n,
      psi_exceeded: stats.psi > thresholds.psi,
      wasserstein_exceeded: stats.wasserstein_norm > thresholds.wasserstein,
    });
  }
  const share = n === 0 ? 0 : atLevel / n;
  const bonferroni = features.some((f) => f.drifted);
  const byShare = n > 0 && share >= thresholds.driftShare;
  return {
    drifted: bonferroni || byShare,
    rule: bonferroni ? 'bonferroni' : byShare ? 'share' : '',
    drifted_share: share,
    features,
  };
}
