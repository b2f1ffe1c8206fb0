import type { oip } from '@aimass/contracts';
import { isAimassError, toGrpcStatus } from '@aimass/errors';
import { tracer } from '@aimass/telemetry';
import { requireGrant } from '@aimass/runtime';
import { status as grpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import { SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import { decodeInferRequest } from '../codec/request-decoder.js';
import { deadlineWithParameters } from '../codec/request-parameters.js';
import { encodeInferResponse } from '../codec/response-encoder.js';
import type { LoadedVersion } from '../loading/loaded-version.js';
import { rowsOf } from '../scheduling/batch-assembly.js';
import { VersionUnloadingError } from '../scheduling/version-unloading-error.js';
import { ModelVersionStore } from './model-version-store.service.js';
import { PredictionObserver } from './prediction-observer.service.js';

const UNRESOLVED = '';

/** Requests one stream may have in the server at once; further messages wait in the stream. */
const STREAM_CONCURRENCY = 256;

/**
 * ModelInfer and ModelStreamInfer: resolve the version, validate the request against its signature,
 * hand it to the version's scheduler, answer in OIP v2. Each prediction is one span, child of the
 * caller's traceparent, and its outcome goes to the PredictionObserver.
 */
@Injectable()
export class InferenceService {
  private readonly tracer = tracer('aimass-inference');

  constructor(
    private readonly store: ModelVersionStore,
    private readonly observer: PredictionObserver,
  ) {}

  infer(
    req: oip.ModelInferRequest__Output,
    parent: Context,
    deadline: number,
    spanName = 'ModelInfer',
  ): Promise<oip.ModelInferResponse> {
    // The span is not made active: nothing below starts child spans, and activating a context per
    // request costs more than the span itself.
    const span = this.tracer.startSpan(
      spanName,
      {
        kind: SpanKind.SERVER,
        attributes: { 'aimass.model': req.model_name, 'aimass.model_version.requested': req.model_version },
      },
      parent,
    );
    return this.predict(req, deadline, span, performance.now());
  }

  /** Ends `span` whatever happens. */
  private async predict(
    req: oip.ModelInferRequest__Output,
    deadline: number,
    span: Span,
    started: number,
  ): Promise<oip.ModelInferResponse> {
    let model = UNRESOLVED;
    let version = UNRESOLVED;
    try {
      const requestDeadline = deadlineWithParameters(req.parameters, deadline);
      // A loaded version whose resolution is cached is used without waiting (no extra tick).
      let loaded =
        this.store.ready(req.model_name, req.model_version) ??
        (await this.store.acquire(req.model_name, req.model_version));
      model = loaded.version.model;
      version = String(loaded.version.version);
      let request = decodeInferRequest(req, loaded.version.signature, requestDeadline);
      this.observer.received(loaded.version, request.inputs);
      let result;
      try {
        result = await loaded.scheduler.enqueue(request);
      } catch (err) {
        // A hot swap or unload took the version away between acquire and enqueue: the selector
        // means another version now (or the same one, reloaded). One retry, never a loop.
        if (!(err instanceof VersionUnloadingError)) throw err;
        loaded = await this.reacquire(req);
        version = String(loaded.version.version);
        request = decodeInferRequest(req, loaded.version.signature, requestDeadline);
        result = await loaded.scheduler.enqueue(request);
      }
      const requestUs = Math.round((performance.now() - started) * 1000);
      span.setAttributes({
        'aimass.model_version': version,
        'aimass.batch_size': result.batchSize,
        'aimass.queue_us': result.queueUs,
        'aimass.compute_us': result.computeUs,
      });
      this.observer.succeeded(model, version, {
        requestUs,
        queueUs: result.queueUs,
        computeUs: result.computeUs,
        batchSize: result.batchSize,
        leader: result.leader,
        rows: rowsOf(request),
      });
      return encodeInferResponse(model, loaded.version.version, req.id, result.outputs);
    } catch (err) {
      const reason = isAimassError(err) ? err.kind : 'INTERNAL';
      const elapsedUs = Math.round((performance.now() - started) * 1000);
      if (version) span.setAttribute('aimass.model_version', version);
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      this.observer.failed(model, version, reason, elapsedUs);
      throw err;
    } finally {
      span.end();
    }
  }

  /**
   * ModelStreamInfer on the raw grpc-js duplex call: every request message gets one response
   * message. A request that fails gets its error in `error_message` (prefixed with its gRPC status
   * name) and the stream goes on; responses carry the request `id` and may arrive out of order when
   * requests overlap. At most STREAM_CONCURRENCY requests of one stream are in the server; beyond
   * that, and while the client does not read its responses, the stream stops reading (HTTP/2 flow
   * control then holds the client back). Resolves when the stream is over.
   */
  serveStream(
    call: ServerDuplexStream<oip.ModelInferRequest__Output, oip.ModelStreamInferResponse>,
    parent: Context,
    deadline: number,
  ): Promise<void> {
    return new Promise((resolve) => {
      let inFlight = 0;
      let ended = false;
      let closed = false;
      let blocked = false;
      const close = () => {
        if (closed) return;
        closed = true;
        resolve();
      };
      const settle = () => {
        if (!closed && ended && inFlight === 0) {
          call.end();
          close();
        }
      };
      const maybeResume = () => {
        if (!blocked && inFlight < STREAM_CONCURRENCY) call.resume();
      };
      // One response per request message, written as its prediction settles.
      const respond = (response: oip.ModelStreamInferResponse) => {
        inFlight--;
        // One drain listener at a time: the write buffer is full until it fires.
        if (!closed && !call.write(response) && !blocked) {
          blocked = true;
          call.pause();
          call.once('drain', () => {
            blocked = false;
            maybeResume();
          });
        }
        maybeResume();
        settle();
      };
      call.on('data', (req: oip.ModelInferRequest__Output) => {
        inFlight++;
        if (inFlight >= STREAM_CONCURRENCY) call.pause();
        let work: Promise<oip.ModelInferResponse>;
        try {
          // The guard let the stream open on some `infer` grant; each message names its own model.
          requireGrant(call.metadata, 'infer', req.model_name);
          work = this.infer(req, parent, deadline, 'ModelStreamInfer');
        } catch (err) {
          work = Promise.reject(err);
        }
        void work.then(
          (infer_response) => respond({ error_message: '', infer_response }),
          (err: unknown) => respond(streamError(req, err)),
        );
      });
      call.on('end', () => {
        ended = true;
        settle();
      });
      call.on('cancelled', close);
      call.on('error', close);
    });
  }

  private reacquire(req: oip.ModelInferRequest__Output): Promise<LoadedVersion> {
    this.store.invalidate(req.model_name);
    return this.store.acquire(req.model_name, req.model_version);
  }
}

function streamError(req: oip.ModelInferRequest__Output, err: unknown): oip.ModelStreamInferResponse {
  const status = toGrpcStatus(err);
  return {
    error_message: `${grpcStatus[status.code]}: ${status.details}`,
    infer_response: { model_name: req.model_name, model_version: req.model_version, id: req.id },
  };
}
