import type { oip } from '@aimass/contracts';
import { deadlineOf, traceContextOf } from '@aimass/grpc';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { InferenceService } from '../services/inference.service.js';
import { ModelCatalogService } from '../services/model-catalog.service.js';

const OIP = 'GRPCInferenceService';

/** The KServe / Triton Open Inference Protocol v2 (package `inference`). */
@Controller()
export class InferenceGrpcController {
  constructor(
    private readonly inference: InferenceService,
    private readonly catalog: ModelCatalogService,
  ) {}

  @GrpcMethod(OIP, 'ServerLive')
  serverLive(): oip.ServerLiveResponse {
    return this.catalog.serverLive();
  }

  @GrpcMethod(OIP, 'ServerReady')
  serverReady(): oip.ServerReadyResponse {
    return this.catalog.serverReady();
  }

  @GrpcMethod(OIP, 'ServerMetadata')
  serverMetadata(): oip.ServerMetadataResponse {
    return this.catalog.serverMetadata();
  }

  @GrpcMethod(OIP, 'ModelReady')
  modelReady(req: oip.ModelReadyRequest__Output): Promise<oip.ModelReadyResponse> {
    return this.catalog.modelReady(req);
  }

  @GrpcMethod(OIP, 'ModelMetadata')
  modelMetadata(req: oip.ModelMetadataRequest__Output): Promise<oip.ModelMetadataResponse> {
    return this.catalog.modelMetadata(req);
  }

  @GrpcMethod(OIP, 'ModelInfer')
  modelInfer(req: oip.ModelInferRequest__Output, md: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<oip.ModelInferResponse> {
    return this.inference.infer(req, traceContextOf(md), deadlineOf(call));
  }
}
