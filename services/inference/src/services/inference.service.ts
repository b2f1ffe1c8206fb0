import type { oip } from '@aimass/contracts';
import { isAimassError } from '@aimass/errors';
import { tracer } from '@aimass/telemetry';
import { Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode, type Context } from '@opentelemetry/api';
import { decodeInferRequest } from '../inference/codec/request-decoder.js';
import { encodeInferResponse } from '../inference/codec/response-encoder.js';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import { ModelVersionStore } from './model-version-store.service.js';
import { PredictionSummaryService } from './prediction-summary.service.js';

const UNRESOLVED = '';

/**
 * ModelInfer: resolve the version, validate the request against its signature, hand it to the
 * version's scheduler, answer in OIP v2. Each call is one span, child of the caller's traceparent,
 * and is counted in Prometheus metrics and the prediction summaries.
 */
@Injectable()
export class InferenceService {
  private readonly tracer = tracer('aimass-inference');

  constructor(
    private readonly store: ModelVersionStore,
    private readonly metrics: InferenceMetricsRepository,
    private readonly summaries: PredictionSummaryService,
  ) {}

  infer(req: oip.ModelInferRequest__Output, parent: Context, deadline: number): Promise<oip.ModelInferResponse> {
    const started = performance.now();
    return this.tracer.startActiveSpan(
      'ModelInfer',
      { kind: SpanKind.SERVER, attributes: { 'aimass.model': req.model_name, 'aimass.model_version.requested': req.model_version } },
      parent,
      async (span) => {
        let model = UNRESOLVED;
        let version = UNRESOLVED;
        try {
          const loaded = await this.store.acquire(req.model_name, req.model_version);
          model = loaded.version.model;
          version = String(loaded.version.version);
          span.setAttribute('aimass.model_version', version);
          const request = decodeInferRequest(req, loaded.version.signature, deadline);
          const result = await loaded.scheduler.enqueue(request);
          const requestUs = Math.round((performance.now() - started) * 1000);
          span.setAttributes({
            'aimass.batch_size': result.batchSize,
            'aimass.queue_us': result.queueUs,
            'aimass.compute_us': result.computeUs,
          });
          this.metrics.recordSuccess(model, version, { requestUs, ...result });
          this.summaries.record(model, version, requestUs / 1000, true);
          return encodeInferResponse(model, loaded.version.version, req.id, result.outputs);
        } catch (err) {
          const reason = isAimassError(err) ? err.kind : 'INTERNAL';
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
          this.metrics.recordFailure(model, version, reason);
          if (model !== UNRESOLVED) this.summaries.record(model, version, (performance.now() - started) / 1000, false);
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }
}
