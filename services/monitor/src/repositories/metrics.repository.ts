import type { PredictionWindow } from '@aimass/contracts';
import { METRICS_REGISTRY } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
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
  }

  recordWindow(window: PredictionWindow): void {
    const labels = { model: window.model, version: window.version };
    this.requests.inc(labels, window.requests);
    this.failures.inc(labels, window.failures);
    this.latency.add(labels, window.latency_buckets, window.latency_ms_sum);
  }
}
