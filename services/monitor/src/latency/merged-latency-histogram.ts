import { LATENCY_BUCKETS_MS } from '@aimass/contracts';
import { LatencyHistogram, LatencyHistogramMetric } from '@aimass/telemetry';
import type { Registry } from 'prom-client';

export interface ModelVersionLabels {
  readonly model: string;
  readonly version: string;
}

/**
 * A Prometheus histogram (per model and version) that takes whole pre-bucketed windows from
 * inference, which prom-client's Histogram cannot: it only takes single observations. /metrics
 * exposes it as `<name>_bucket{le=…}`, `<name>_sum` and `<name>_count` like any histogram, so
 * histogram_quantile() works across monitor replicas.
 */
export class MergedLatencyHistogram {
  private readonly series = new Map<string, { labels: ModelVersionLabels; histogram: LatencyHistogram }>();

  constructor(name: string, help: string, registry: Registry) {
    new LatencyHistogramMetric({
      name,
      help,
      labelNames: ['model', 'version'],
      bounds: LATENCY_BUCKETS_MS,
      registers: [registry],
      series: () => this.series.values(),
      le: 'last',
    });
  }

  add(labels: ModelVersionLabels, buckets: readonly number[], sumMs: number): void {
    const key = JSON.stringify([labels.model, labels.version]);
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: { model: labels.model, version: labels.version },
        histogram: new LatencyHistogram(LATENCY_BUCKETS_MS),
      };
      this.series.set(key, series);
    }
    series.histogram.merge(LatencyHistogram.of(LATENCY_BUCKETS_MS, buckets, sumMs, 0));
  }
}
