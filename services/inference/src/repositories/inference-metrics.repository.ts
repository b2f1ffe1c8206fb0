import { METRICS_REGISTRY } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, type Registry } from 'prom-client';

const US_BUCKETS = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000];

/**
 * Prometheus metrics per model and version, named after Triton's nv_inference_* family so existing
 * dashboards translate directly (aimass_inference_request_success_total ~ nv_inference_request_success).
 */
@Injectable()
export class InferenceMetricsRepository {
  private readonly success: Counter<'model' | 'version'>;
  private readonly failure: Counter<'model' | 'version' | 'reason'>;
  private readonly inferences: Counter<'model' | 'version'>;
  private readonly executions: Counter<'model' | 'version'>;
  private readonly requestUs: Histogram<'model' | 'version'>;
  private readonly queueUs: Histogram<'model' | 'version'>;
  private readonly computeUs: Histogram<'model' | 'version'>;
  private readonly children = new Map<string, ReturnType<InferenceMetricsRepository['bind']>>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const labelNames = ['model', 'version'] as const;
    this.success = new Counter({ name: 'aimass_inference_request_success_total', help: 'Successful inference requests', labelNames, registers: [registry] });
    this.failure = new Counter({ name: 'aimass_inference_request_failure_total', help: 'Failed inference requests, by gRPC status', labelNames: [...labelNames, 'reason'], registers: [registry] });
    this.inferences = new Counter({ name: 'aimass_inference_count_total', help: 'Inferences performed (a batch of n counts n)', labelNames, registers: [registry] });
    this.executions = new Counter({ name: 'aimass_inference_exec_count_total', help: 'Model executions (a batch counts once)', labelNames, registers: [registry] });
    this.requestUs = new Histogram({ name: 'aimass_inference_request_duration_us', help: 'End-to-end request time in the server (µs)', labelNames, buckets: US_BUCKETS, registers: [registry] });
    this.queueUs = new Histogram({ name: 'aimass_inference_queue_duration_us', help: 'Time waiting in the scheduler (µs)', labelNames, buckets: US_BUCKETS, registers: [registry] });
    this.computeUs = new Histogram({ name: 'aimass_inference_compute_infer_duration_us', help: 'Model execution time (µs)', labelNames, buckets: US_BUCKETS, registers: [registry] });
  }

  recordSuccess(model: string, version: string, r: { requestUs: number; queueUs: number; computeUs: number; batchSize: number; leader: boolean }): void {
    const m = this.of(model, version);
    m.success.inc();
    m.requestUs.observe(r.requestUs);
    m.queueUs.observe(r.queueUs);
    // A batch of n rows is n inferences and one execution, counted by its leader request.
    if (r.leader) {
      m.inferences.inc(r.batchSize);
      m.executions.inc();
      m.computeUs.observe(r.computeUs);
    }
  }

  /** The label-bound children of one version, resolved once: label hashing is not free per request. */
  private of(model: string, version: string): ReturnType<InferenceMetricsRepository['bind']> {
    const key = `${model}\u0000${version}`;
    let m = this.children.get(key);
    if (!m) {
      m = this.bind(model, version);
      this.children.set(key, m);
    }
    return m;
  }

  private bind(model: string, version: string) {
    const labels = { model, version };
    return {
      success: this.success.labels(labels),
      inferences: this.inferences.labels(labels),
      executions: this.executions.labels(labels),
      requestUs: this.requestUs.labels(labels),
      queueUs: this.queueUs.labels(labels),
      computeUs: this.computeUs.labels(labels),
    };
  }

  recordFailure(model: string, version: string, reason: string): void {
    this.failure.inc({ model, version, reason });
  }
}
