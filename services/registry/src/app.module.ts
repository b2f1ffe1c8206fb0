import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { RegistryGrpcController } from './controllers/registry.grpc.controller.js';
import { RegistryRpcController } from './controllers/registry.rpc.controller.js';
import { ArtifactRepository } from './repositories/artifact.repository.js';
import { ModelMetadataRepository } from './repositories/model-metadata.repository.js';
import { RegistryEventsRepository } from './repositories/registry-events.repository.js';
import { RegistryMetricsRepository } from './repositories/registry-metrics.repository.js';
import { ArtifactDownloadService } from './services/artifact-download.service.js';
import { AliasService } from './services/alias.service.js';
import { ModelCatalogService } from './services/model-catalog.service.js';
import { CardVerificationService } from './services/card-verification.service.js';
import { ModelConversionService } from './services/model-conversion.service.js';
import { OnnxRuntimeRepository } from './repositories/onnx-runtime.repository.js';
import { TfjsRuntimeRepository } from './repositories/tfjs-runtime.repository.js';
import { RegistryJournal } from './services/registry-journal.js';
import { DatasetService } from './services/dataset.service.js';
import { RegistryService } from './services/registry.service.js';
import { TfjsToOnnxService } from './services/tfjs-to-onnx.service.js';

@Module({
  imports: [RuntimeModule.forRoot('registry', { storage: true })],
  controllers: [RegistryGrpcController, RegistryRpcController],
  providers: [
    RegistryService,
    DatasetService,
    ModelConversionService,
    CardVerificationService,
    TfjsToOnnxService,
    ModelCatalogService,
    AliasService,
    RegistryJournal,
    ArtifactDownloadService,
    ModelMetadataRepository,
    ArtifactRepository,
    OnnxRuntimeRepository,
    TfjsRuntimeRepository,
    RegistryEventsRepository,
    RegistryMetricsRepository,
  ],
})
export class AppModule {}
