import type { PredictionWindow } from '@aimass/contracts';
import type { DatasetDrift } from '@aimass/drift';
import { METRICS_REGISTRY } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';
import { MergedLatencyHistogram } from '../latency/merged-latency-histogram.js';

/**
 * The monitor's Prometheus series, in the process-wide registry that RuntimeModule serves on
 * /metrics. The only place in the monitor that writes metrics.
 */
@Injectable()
export class MetricsRepository {
  private readonly requests: Counter<'model' | 'version'>;
  private readonly failures: Counter<'model' | 'version'>;
  private readonly latency: MergedLatencyHistogram;
  private readonly driftDetected: Gauge<'model' | 'version'>;
  private readonly driftShare: Gauge<'model' | 'version'>;
  private readonly featureDrift: Gauge<'model' | 'version' | 'feature' | 'statistic'>;
  private readonly alerts: Counter<'model' | 'version' | 'type'>;
  private readonly anomalyRate: Gauge<'model' | 'version'>;
  private readonly anomalyExpectedRate: Gauge<'model' | 'version'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const labelNames = ['model', 'version'] as const;
    this.requests = new Counter({
      name: 'aimass_monitor_model_requests_total',
      help: 'Predictions inference reported per model version.',
      labelNames,
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'aimass_monitor_model_failures_total',
      help: 'Failed predictions inference reported per model version.',
      labelNames,
      registers: [registry],
    });
    this.latency = new MergedLatencyHistogram(
      'aimass_monitor_model_latency_ms',
      'Prediction latency in milliseconds per model version, merged from inference summaries.',
      registry,
    );
    this.driftDetected = new Gauge({
      name: 'aimass_monitor_drift_detected',
      help: '1 when the last closed window of live inputs drifted from the reference, else 0.',
      labelNames,
      registers: [registry],
    });
    this.driftShare = new Gauge({
      name: 'aimass_monitor_drift_share',
      help: 'Share of features with KS p-value below the threshold in the last closed window.',
      labelNames,
      registers: [registry],
    });
    this.featureDrift = new Gauge({
      name: 'aimass_monitor_feature_drift',
      help: "Per feature, the last window's drift statistic: ks_statistic, ks_p_value, psi or wasserstein_norm.",
      labelNames: ['model', 'version', 'feature', 'statistic'],
      registers: [registry],
    });
    this.anomalyRate = new Gauge({
      name: 'aimass_monitor_anomaly_rate',
      help: "Share of the sampled live inputs the version's detector flagged in the last closed anomaly window.",
      labelNames,
      registers: [registry],
    });
    this.anomalyExpectedRate = new Gauge({
      name: 'aimass_monitor_anomaly_expected_rate',
      help: 'The share the detector flags in distribution (1 − threshold_percentile/100), for the last closed window.',
      labelNames,
      registers: [registry],
    });
    this.alerts = new Counter({
      name: 'aimass_monitor_alerts_total',
      help: 'Alerts raised per model version and type (monitor.alert.*).',
      labelNames: ['model', 'version', 'type'],
      registers: [registry],
    });
  }

  recordDrift(model: string, version: string, drift: DatasetDrift): void {
    const labels = { model, version };
    this.driftDetected.set(labels, drift.drifted ? 1 : 0);
    this.driftShare.set(labels, drift.drifted_share);
    for (const f of drift.features)
      for (const statistic of ['ks_statistic', 'ks_p_value', 'psi', 'wasserstein_norm'] as const)
        this.featureDrift.set({ ...labels, feature: f.feature, statistic }, f[statistic]);
  }

  recordAnomalyRate(model: string, version: string, observed: number, expected: number): void {
    this.anomalyRate.set({ model, version }, observed);
    this.anomalyExpectedRate.set({ model, version }, expected);
  }

  recordAlert(model: string, version: string, type: string): void {
    this.alerts.inc({ model, version, type });
  }

  recordWindow(window: PredictionWindow): void {
    const labels = { model: window.model, version: window.version };
    this.requests.inc(labels, window.requests);
    this.failures.inc(labels, window.failures);
    this.latency.add(labels, window.latency_buckets, window.latency_ms_sum);
  }
}
