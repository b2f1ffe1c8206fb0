import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { ConsoleHttpController } from './controllers/console.http.controller.js';
import { HubHttpController } from './controllers/hub.http.controller.js';
import { MonitorGrpcController } from './controllers/monitor.grpc.controller.js';
import { AlertEventsRepository } from './repositories/alert-events.repository.js';
import { AlertHistoryRepository } from './repositories/alert-history.repository.js';
import { ConsoleAssetsRepository } from './repositories/console-assets.repository.js';
import { HubStoreRepository } from './repositories/hub-store.repository.js';
import { InferenceClientRepository } from './repositories/inference-client.repository.js';
import { MeshHealthRepository } from './repositories/mesh-health.repository.js';
import { MetricsRepository } from './repositories/metrics.repository.js';
import { NodeHeartbeatsRepository } from './repositories/node-heartbeats.repository.js';
import { PredictionHistoryRepository } from './repositories/prediction-history.repository.js';
import { ReferenceStatisticsRepository } from './repositories/reference-statistics.repository.js';
import { RegistryCatalogRepository } from './repositories/registry-catalog.repository.js';
import { TrainingHistoryRepository } from './repositories/training-history.repository.js';
import { TunerEventsRepository } from './repositories/tuner-events.repository.js';
import { TunerStudiesRepository } from './repositories/tuner-studies.repository.js';
import { PredictionFeedService } from './services/prediction-feed.service.js';
import { ConsoleAppService } from './services/console-app.service.js';
import { ConsoleUpdatesService } from './services/console-updates.service.js';
import { DataConsoleService } from './services/data-console.service.js';
import { DataHistoryService } from './services/data-history.service.js';
import { AlertsService } from './services/alerts.service.js';
import { AnomalyService } from './services/anomaly.service.js';
import { DriftService } from './services/drift.service.js';
import { HubService } from './services/hub.service.js';
import { MeshConsoleService } from './services/mesh-console.service.js';
import { ModelStatsService } from './services/model-stats.service.js';
import { ModelsConsoleService } from './services/models-console.service.js';
import { StudiesConsoleService } from './services/studies-console.service.js';
import { TrainingConsoleService } from './services/training-console.service.js';

@Module({
  imports: [RuntimeModule.forRoot('monitor')],
  controllers: [MonitorGrpcController, ConsoleHttpController, HubHttpController],
  providers: [
    ModelStatsService,
    PredictionFeedService,
    AlertHistoryRepository,
    MetricsRepository,
    ConsoleAppService,
    ConsoleUpdatesService,
    ModelsConsoleService,
    TrainingConsoleService,
    StudiesConsoleService,
    DataConsoleService,
    DataHistoryService,
    MeshConsoleService,
    ConsoleAssetsRepository,
    MeshHealthRepository,
    NodeHeartbeatsRepository,
    PredictionHistoryRepository,
    RegistryCatalogRepository,
    TrainingHistoryRepository,
    TunerStudiesRepository,
    TunerEventsRepository,
    DriftService,
    AnomalyService,
    AlertsService,
    ReferenceStatisticsRepository,
    AlertEventsRepository,
    HubService,
    HubStoreRepository,
    InferenceClientRepository,
  ],
})
export class AppModule {}
