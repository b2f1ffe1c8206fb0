import { Histogram, type Registry } from 'prom-client';
import type { LatencyHistogram } from './latency-histogram.js';

/** One labelled series of a LatencyHistogramMetric. */
export interface LatencySeries<T extends string> {
  readonly labels: Readonly<Record<T, string>>;
  readonly histogram: LatencyHistogram;
}

export interface LatencyHistogramMetricOptions<T extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  /** Bucket bounds of every series' histogram. */
  readonly bounds: readonly number[];
  readonly registers: Registry[];
  /** Read at scrape time; the histograms are recorded into elsewhere, on the hot path. */
  readonly series: () => Iterable<LatencySeries<T>>;
  /** Where each bucket line puts `le` among its labels; each service keeps the order its dashboards read. */
  readonly le?: 'first' | 'last';
}

interface ExposedValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: Record<string, never>;
  readonly metricName: string;
}

/**
 * A prom-client Histogram whose series are LatencyHistograms, read when the registry is scraped.
 * prom-client's own observe() validates and hashes labels and allocates on every call, and cannot
 * take counts bucketed elsewhere (the monitor's merged windows). The registry reads a histogram
 * through getForPromString (text) and get() (JSON, built on getForPromString), so this answers
 * the first and inherits the second; /metrics shows `<name>_bucket{le=…}`, `<name>_sum` and
 * `<name>_count` like any histogram.
 */
export class LatencyHistogramMetric<T extends string> extends Histogram<T> {
  private readonly exposed: LatencyHistogramMetricOptions<T>;

  constructor(options: LatencyHistogramMetricOptions<T>) {
    super({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      buckets: [...options.bounds],
      registers: options.registers,
    });
    this.exposed = options;
  }

  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: ExposedValue[];
  }> {
    const { name, help, bounds, le: lePosition = 'first' } = this.exposed;
    const values: ExposedValue[] = [];
    const value = (metricName: string, labels: Record<string, string | number>, v: number) =>
      values.push({ value: v, labels, sharedLabels: {}, metricName });
    const withLe = (labels: Readonly<Record<T, string>>, le: string | number) =>
      lePosition === 'first' ? { le, ...labels } : { ...labels, le };
    for (const { labels, histogram } of this.exposed.series()) {
      let cumulative = 0;
      bounds.forEach((bound, i) => {
        cumulative += histogram.counts[i]!;
        value(`${name}_bucket`, withLe(labels, bound), cumulative);
      });
      value(`${name}_bucket`, withLe(labels, '+Inf'), histogram.count);
      value(`${name}_sum`, { ...labels }, histogram.sum);
      value(`${name}_count`, { ...labels }, histogram.count);
    }
    return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
  }
}
