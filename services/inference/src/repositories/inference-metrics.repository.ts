import { METRICS_REGISTRY } from '@aimass/runtime';
import { LatencyHistogram, LatencyHistogramMetric } from '@aimass/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';

const US_BUCKETS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000];

type Labels = { readonly model: string; readonly version: string };

/** The success-path series of one model version: plain numbers on the hot path, read at scrape time. */
class VersionSeries {
  success = 0;
  inferences = 0;
  executions = 0;
  readonly requestUs = new LatencyHistogram(US_BUCKETS);
  readonly queueUs = new LatencyHistogram(US_BUCKETS);
  readonly computeUs = new LatencyHistogram(US_BUCKETS);

  constructor(readonly labels: Labels) {}
}

/** The label values a version's prom-client series were given, so forgetVersion can remove them. */
interface SeenLabels {
  readonly reasons: Set<string>;
  readonly detectors: Set<string>;
  refused: boolean;
}

/** One version's entry in the maps below. */
const seriesKey = (model: string, version: string) => `${model}\u0000${version}`;

/**
 * Prometheus metrics per model and version, named after Triton's nv_inference_* family so existing
 * dashboards translate directly (aimass_inference_request_success_total ~ nv_inference_request_success).
 * Successes (the hot path) add to plain per-version numbers that the registry reads when scraped:
 * prom-client's label-bound children validate and hash their labels and allocate on every call,
 * and a request records three histograms and up to three counters. Failures go through a
 * prom-client Counter directly.
 */
@Injectable()
export class InferenceMetricsRepository {
  private readonly failure: Counter<'model' | 'version' | 'reason'>;
  private readonly detectorDropped: Counter;
  private readonly detectorScored: Counter<'model' | 'version' | 'detector'>;
  private readonly detectorRefused: Counter<'model' | 'version'>;
  private readonly series = new Map<string, VersionSeries>();
  private readonly seenLabels = new Map<string, SeenLabels>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const labelNames = ['model', 'version'] as const;
    this.failure = new Counter({
      name: 'aimass_inference_request_failure_total',
      help: 'Failed inference requests, by gRPC status',
      labelNames: [...labelNames, 'reason'],
      registers: [registry],
    });
    this.detectorDropped = new Counter({
      name: 'aimass_inference_detector_dropped_rows_total',
      help: 'Input rows sampled for an anomaly detector but dropped because its queue was full (AIMASS_INFERENCE_DETECTOR_QUEUE_ROWS)',
      registers: [registry],
    });
    this.detectorScored = new Counter({
      name: 'aimass_inference_detector_scored_rows_total',
      help: "Sampled input rows scored by the version's anomaly detector (monitor.detector tag)",
      labelNames: [...labelNames, 'detector'],
      registers: [registry],
    });
    this.detectorRefused = new Counter({
      name: 'aimass_inference_detector_refused_rows_total',
      help: 'Sampled input rows not scored because the monitor.detector tag names no usable detector (see the log)',
      labelNames,
      registers: [registry],
    });
    const series = this.series;
    const counter = (name: string, help: string, read: (s: VersionSeries) => number) =>
      new Counter({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const s of series.values()) this.inc({ ...s.labels }, read(s));
        },
      });
    const histogram = (name: string, help: string, read: (s: VersionSeries) => LatencyHistogram) =>
      new LatencyHistogramMetric({
        name,
        help,
        labelNames,
        bounds: US_BUCKETS,
        registers: [registry],
        series: () => [...series.values()].map((s) => ({ labels: s.labels, histogram: read(s) })),
      });
    counter('aimass_inference_request_success_total', 'Successful inference requests', (s) => s.success);
    counter(
      'aimass_inference_count_total',
      'Inferences performed (a batch of n counts n)',
      (s) => s.inferences,
    );
    counter(
      'aimass_inference_exec_count_total',
      'Model executions (a batch counts once)',
      (s) => s.executions,
    );
    histogram(
      'aimass_inference_request_duration_us',
      'End-to-end request time in the server (µs)',
      (s) => s.requestUs,
    );
    histogram('aimass_inference_queue_duration_us', 'Time waiting in the scheduler (µs)', (s) => s.queueUs);
    histogram('aimass_inference_compute_infer_duration_us', 'Model execution time (µs)', (s) => s.computeUs);
  }

  recordSuccess(
    model: string,
    version: string,
    r: { requestUs: number; queueUs: number; computeUs: number; batchSize: number; leader: boolean },
  ): void {
    const s = this.of(model, version);
    s.success++;
    s.requestUs.record(r.requestUs);
    s.queueUs.record(r.queueUs);
    // A batch of n rows is n inferences and one execution, counted by its leader request.
    if (r.leader) {
      s.inferences += r.batchSize;
      s.executions++;
      s.computeUs.record(r.computeUs);
    }
  }

  private of(model: string, version: string): VersionSeries {
    const key = seriesKey(model, version);
    let s = this.series.get(key);
    if (!s) {
      s = new VersionSeries({ model, version });
      this.series.set(key, s);
    }
    return s;
  }

  recordDetectorDropped(rows: number): void {
    this.detectorDropped.inc(rows);
  }

  recordDetectorScored(model: string, version: string, detector: string, rows: number): void {
    this.detectorScored.inc({ model, version, detector }, rows);
    this.labelled(model, version).detectors.add(detector);
  }

  recordDetectorRefused(model: string, version: string, rows: number): void {
    this.detectorRefused.inc({ model, version }, rows);
    this.labelled(model, version).refused = true;
  }

  recordFailure(model: string, version: string, reason: string): void {
    this.failure.inc({ model, version, reason });
    this.labelled(model, version).reasons.add(reason);
  }

  /**
   * Drops every series of a version that is no longer loaded, as Triton does on unload: a process
   * that hot-swaps for months would otherwise export (and keep in memory) every version it ever served.
   */
  forgetVersion(model: string, version: string): void {
    const key = seriesKey(model, version);
    this.series.delete(key);
    const seen = this.seenLabels.get(key);
    this.seenLabels.delete(key);
    if (!seen) return;
    for (const reason of seen.reasons) this.failure.remove({ model, version, reason });
    for (const detector of seen.detectors) this.detectorScored.remove({ model, version, detector });
    if (seen.refused) this.detectorRefused.remove({ model, version });
  }

  /** The version's SeenLabels, created on first use. */
  private labelled(model: string, version: string): SeenLabels {
    const key = seriesKey(model, version);
    let seen = this.seenLabels.get(key);
    if (!seen) {
      seen = { reasons: new Set(), detectors: new Set(), refused: false };
      this.seenLabels.set(key, seen);
    }
    return seen;
  }
}
