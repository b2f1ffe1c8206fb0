import { LATENCY_BUCKETS_MS } from '@aimass/contracts';
import { addBuckets, bucketTotal, emptyBuckets } from './latency-buckets.js';

export interface ModelVersionLabels {
  readonly model: string;
  readonly version: string;
}

interface Series {
  readonly labels: ModelVersionLabels;
  readonly buckets: number[];
  sumMs: number;
}

interface ExposedValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName: string;
}

/**
 * A Prometheus histogram (per model and version) that takes whole pre-bucketed windows from
 * inference, which prom-client's Histogram cannot: it only takes single observations. It has the
 * shape prom-client's Registry reads from a metric (name, help, type, aggregator, get, reset), so
 * /metrics exposes it as `<name>_bucket{le=…}`, `<name>_sum` and `<name>_count` like any histogram,
 * and histogram_quantile() works across monitor replicas.
 */
export class MergedLatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  add(labels: ModelVersionLabels, buckets: readonly number[], sumMs: number): void {
    const key = JSON.stringify([labels.model, labels.version]);
    let series = this.series.get(key);
    if (!series) {
      series = {
        labels: { model: labels.model, version: labels.version },
        buckets: emptyBuckets(),
        sumMs: 0,
      };
      this.series.set(key, series);
    }
    addBuckets(series.buckets, buckets);
    series.sumMs += sumMs;
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: ExposedValue[];
  }> {
    const values: ExposedValue[] = [];
    for (const { labels, buckets, sumMs } of this.series.values()) {
      let cumulative = 0;
      LATENCY_BUCKETS_MS.forEach((bound, i) => {
        cumulative += buckets[i] ?? 0;
        values.push({
          value: cumulative,
          labels: { ...labels, le: bound },
          metricName: `${this.name}_bucket`,
        });
      });
      const count = bucketTotal(buckets);
      values.push({ value: count, labels: { ...labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: sumMs, labels: { ...labels }, metricName: `${this.name}_sum` });
      values.push({ value: count, labels: { ...labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
