import type { oip } from '@aimass/contracts';
import { deadlineOf, traceContextOf } from '@aimass/grpc';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import { InferenceService } from '../services/inference.service.js';
import { HealthMetadataService } from '../services/health-metadata.service.js';
import { ModelRepositoryService } from '../services/model-repository.service.js';
import { ModelStatisticsService } from '../services/model-statistics.service.js';

const OIP = 'GRPCInferenceService';

/**
 * The KServe / Triton Open Inference Protocol v2 (package `inference`), plus Triton's ModelStatistics.
 * ModelInfer, the hot unary call, is served by ModelInferGrpcHandler on the same server.
 */
@Controller()
export class InferenceGrpcController {
  constructor(
    private readonly inference: InferenceService,
    private readonly healthMetadata: HealthMetadataService,
    private readonly repository: ModelRepositoryService,
    private readonly statistics: ModelStatisticsService,
  ) {}

  @GrpcMethod(OIP, 'ServerLive')
  serverLive(): oip.ServerLiveResponse {
    return this.healthMetadata.serverLive();
  }

  @GrpcMethod(OIP, 'ServerReady')
  serverReady(): oip.ServerReadyResponse {
    return this.healthMetadata.serverReady();
  }

  @GrpcMethod(OIP, 'ServerMetadata')
  serverMetadata(): oip.ServerMetadataResponse {
    return this.healthMetadata.serverMetadata();
  }

  @GrpcMethod(OIP, 'ModelReady')
  modelReady(req: oip.ModelReadyRequest__Output): Promise<oip.ModelReadyResponse> {
    return this.healthMetadata.modelReady(req);
  }

  @GrpcMethod(OIP, 'ModelMetadata')
  modelMetadata(req: oip.ModelMetadataRequest__Output): Promise<oip.ModelMetadataResponse> {
    return this.healthMetadata.modelMetadata(req);
  }

  /** Pass-through: the raw duplex call, so each message costs no Observable machinery (see InferenceService.serveStream). */
  @GrpcStreamCall(OIP, 'ModelStreamInfer')
  modelStreamInfer(
    call: ServerDuplexStream<oip.ModelInferRequest__Output, oip.ModelStreamInferResponse>,
  ): Promise<void> {
    return this.inference.serveStream(call, traceContextOf(call.metadata), deadlineOf(call));
  }

  @GrpcMethod(OIP, 'ModelStatistics')
  modelStatistics(req: oip.ModelStatisticsRequest__Output): oip.ModelStatisticsResponse {
    return this.statistics.statistics(req);
  }

  @GrpcMethod(OIP, 'RepositoryIndex')
  repositoryIndex(req: oip.RepositoryIndexRequest__Output): Promise<oip.RepositoryIndexResponse> {
    return this.repository.index(req);
  }

  @GrpcMethod(OIP, 'RepositoryModelLoad')
  repositoryModelLoad(req: oip.RepositoryModelLoadRequest__Output): Promise<oip.RepositoryModelLoadResponse> {
    return this.repository.load(req);
  }

  @GrpcMethod(OIP, 'RepositoryModelUnload')
  repositoryModelUnload(
    req: oip.RepositoryModelUnloadRequest__Output,
  ): Promise<oip.RepositoryModelUnloadResponse> {
    return this.repository.unload(req);
  }
}
