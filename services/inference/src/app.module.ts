import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { InferenceGrpcController } from './controllers/inference.grpc.controller.js';
import { RegistryEventsController } from './controllers/registry-events.controller.js';
import { ArtifactDownloadRepository } from './repositories/artifact-download.repository.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { InferenceMetricsRepository } from './repositories/inference-metrics.repository.js';
import { OrtRepository } from './repositories/ort.repository.js';
import { PredictionSummaryRepository } from './repositories/prediction-summary.repository.js';
import { RegistryRepository } from './repositories/registry.repository.js';
import { TfjsRepository } from './repositories/tfjs.repository.js';
import { InferenceService } from './services/inference.service.js';
import { HealthMetadataService } from './services/health-metadata.service.js';
import { ModelRepositoryService } from './services/model-repository.service.js';
import { ModelStatisticsService } from './services/model-statistics.service.js';
import { ModelVersionStore } from './services/model-version-store.service.js';
import { CallAuthorizer } from './auth/call-authorizer.js';
import { ModelInferGrpcHandler } from './controllers/model-infer.grpc-handler.js';
import { DetectorScoringService } from './services/detector-scoring.service.js';
import { PredictionObserver } from './services/prediction-observer.service.js';
import { PredictionSummaryService } from './services/prediction-summary.service.js';

@Module({
  imports: [RuntimeModule.forRoot('inference', { storage: true })],
  controllers: [InferenceGrpcController, RegistryEventsController],
  providers: [
    InferenceService,
    HealthMetadataService,
    ModelRepositoryService,
    ModelStatisticsService,
    CallAuthorizer,
    ModelInferGrpcHandler,
    ModelVersionStore,
    PredictionObserver,
    DetectorScoringService,
    PredictionSummaryService,
    RegistryRepository,
    ArtifactDownloadRepository,
    AuditRepository,
    OrtRepository,
    TfjsRepository,
    PredictionSummaryRepository,
    InferenceMetricsRepository,
  ],
})
export class AppModule {}
