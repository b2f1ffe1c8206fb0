import { METRICS_REGISTRY } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Metric, type MetricValue, type Registry } from 'prom-client';

const US_BUCKETS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000];

/** Cumulative counts of one histogram series: plain numbers on the hot path, read at scrape time. */
class Buckets {
  readonly counts = new Float64Array(US_BUCKETS.length);
  sum = 0;
  count = 0;

  observe(value: number): void {
    let i = 0;
    while (i < US_BUCKETS.length && value > US_BUCKETS[i]!) i++;
    if (i < US_BUCKETS.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** The success-path series of one model version. */
class VersionSeries {
  success = 0;
  inferences = 0;
  executions = 0;
  readonly requestUs = new Buckets();
  readonly queueUs = new Buckets();
  readonly computeUs = new Buckets();

  constructor(readonly labels: { readonly model: string; readonly version: string }) {}
}

type Labels = Record<string, string | number>;

/**
 * A metric in prom-client's registry whose values are read from the hot-path series at scrape
 * time. prom-client's own label-bound children validate and hash their labels and allocate a
 * closure on every observe; a request records three histograms and up to three counters.
 */
class ScrapedMetric {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly values: () => MetricValue<string>[],
  ) {}

  /** What prom-client's registry reads from a metric when it is scraped. */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: MetricValue<string>[];
  }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    });
  }
}

function counterValues(
  series: Iterable<VersionSeries>,
  read: (s: VersionSeries) => number,
): MetricValue<string>[] {
  return [...series].map((s) => ({ labels: { ...s.labels }, value: read(s) }));
}

function histogramValues(
  name: string,
  series: Iterable<VersionSeries>,
  read: (s: VersionSeries) => Buckets,
): MetricValue<string>[] {
  const out: (MetricValue<string> & { metricName: string })[] = [];
  for (const s of series) {
    const b = read(s);
    let cumulative = 0;
    US_BUCKETS.forEach((le, i) => {
      cumulative += b.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { le, ...s.labels } as Labels, value: cumulative });
    });
    out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...s.labels } as Labels, value: b.count });
    out.push({ metricName: `${name}_sum`, labels: { ...s.labels }, value: b.sum });
    out.push({ metricName: `${name}_count`, labels: { ...s.labels }, value: b.count });
  }
  return out;
}

/**
 * Prometheus metrics per model and version, named after Triton's nv_inference_* family so existing
 * dashboards translate directly (aimass_inference_request_success_total ~ nv_inference_request_success).
 * Successes (the hot path) add to plain per-version numbers that the registry reads when scraped;
 * failures go through a prom-client Counter.
 */
@Injectable()
export class InferenceMetricsRepository {
  private readonly failure: Counter<'model' | 'version' | 'reason'>;
  private readonly series = new Map<string, VersionSeries>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const labelNames = ['model', 'version'] as const;
    const all = () => this.series.values();
    this.failure = new Counter({
      name: 'aimass_inference_request_failure_total',
      help: 'Failed inference requests, by gRPC status',
      labelNames: [...labelNames, 'reason'],
      registers: [registry],
    });
    const metrics = [
      new ScrapedMetric(
        'aimass_inference_request_success_total',
        'Successful inference requests',
        'counter',
        () => counterValues(all(), (s) => s.success),
      ),
      new ScrapedMetric(
        'aimass_inference_count_total',
        'Inferences performed (a batch of n counts n)',
        'counter',
        () => counterValues(all(), (s) => s.inferences),
      ),
      new ScrapedMetric(
        'aimass_inference_exec_count_total',
        'Model executions (a batch counts once)',
        'counter',
        () => counterValues(all(), (s) => s.executions),
      ),
      new ScrapedMetric(
        'aimass_inference_request_duration_us',
        'End-to-end request time in the server (µs)',
        'histogram',
        () => histogramValues('aimass_inference_request_duration_us', all(), (s) => s.requestUs),
      ),
      new ScrapedMetric(
        'aimass_inference_queue_duration_us',
        'Time waiting in the scheduler (µs)',
        'histogram',
        () => histogramValues('aimass_inference_queue_duration_us', all(), (s) => s.queueUs),
      ),
      new ScrapedMetric(
        'aimass_inference_compute_infer_duration_us',
        'Model execution time (µs)',
        'histogram',
        () => histogramValues('aimass_inference_compute_infer_duration_us', all(), (s) => s.computeUs),
      ),
    ];
    for (const m of metrics) registry.registerMetric(m as unknown as Metric);
  }

  recordSuccess(
    model: string,
    version: string,
    r: { requestUs: number; queueUs: number; computeUs: number; batchSize: number; leader: boolean },
  ): void {
    const s = this.of(model, version);
    s.success++;
    s.requestUs.observe(r.requestUs);
    s.queueUs.observe(r.queueUs);
    // A batch of n rows is n inferences and one execution, counted by its leader request.
    if (r.leader) {
      s.inferences += r.batchSize;
      s.executions++;
      s.computeUs.observe(r.computeUs);
    }
  }

  private of(model: string, version: string): VersionSeries {
    const key = `${model}\u0000${version}`;
    let s = this.series.get(key);
    if (!s) {
      s = new VersionSeries({ model, version });
      this.series.set(key, s);
    }
    return s;
  }

  recordFailure(model: string, version: string, reason: string): void {
    this.failure.inc({ model, version, reason });
  }
}
