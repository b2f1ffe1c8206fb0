import type { oip } from '@aimass/contracts';
import {
  assertWellFormed,
  deadlineOf,
  replyUnary,
  traceContextOf,
  type GrpcServer,
  type PackageDefinition,
} from '@aimass/grpc';
import type { MethodDefinition, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import { CallAuthorizer } from '../auth/call-authorizer.js';
import { InferenceService } from '../services/inference.service.js';

const MODEL_INFER = 'inference.GRPCInferenceService';
const MODEL_INFER_PATH = `${MODEL_INFER}/ModelInfer`;

type InferMethod = MethodDefinition<oip.ModelInferRequest__Output, oip.ModelInferResponse>;

/**
 * ModelInfer as a plain grpc-js unary handler on the service's gRPC server, instead of a Nest
 * route: Nest's unary wrapper (a copy of the call, processing hooks, the interceptor chain and an
 * Observable per request) is a measurable share of a request's CPU at concurrency 1. The
 * call still passes the CallAuthorizer, every prediction still gets its span (InferenceService),
 * and errors get the same gRPC status as through MeshExceptionFilter (replyUnary).
 */
@Injectable()
export class ModelInferGrpcHandler {
  constructor(
    private readonly authorizer: CallAuthorizer,
    private readonly inference: InferenceService,
  ) {}

  /** Takes over ModelInfer on `server`, with the (de)serializers of the proto it serves. */
  bind(server: GrpcServer, definition: PackageDefinition): void {
    const method = (definition[MODEL_INFER] as Record<string, InferMethod> | undefined)?.ModelInfer;
    if (!method) throw new Error(`${MODEL_INFER}/ModelInfer is not in the served proto`);
    server.unregister(method.path);
    server.register<oip.ModelInferRequest__Output, oip.ModelInferResponse>(
      method.path,
      (
        call: ServerUnaryCall<oip.ModelInferRequest__Output, oip.ModelInferResponse>,
        callback: sendUnaryData<oip.ModelInferResponse>,
      ) => this.handle(call, callback),
      method.responseSerialize,
      method.requestDeserialize,
      'unary',
    );
  }

  handle(
    call: ServerUnaryCall<oip.ModelInferRequest__Output, oip.ModelInferResponse>,
    callback: sendUnaryData<oip.ModelInferResponse>,
  ): void {
    let work: Promise<oip.ModelInferResponse>;
    try {
      assertWellFormed(call.request);
      work = this.authorizer.enabled
        ? this.authorizer
            .authorize(MODEL_INFER_PATH, call.metadata, call.request)
            .then(() => this.inference.infer(call.request, traceContextOf(call.metadata), deadlineOf(call)))
        : this.inference.infer(call.request, traceContextOf(call.metadata), deadlineOf(call));
    } catch (err) {
      work = Promise.reject(err);
    }
    void replyUnary(callback, work);
  }
}
