import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { DashboardHttpController } from './controllers/dashboard.http.controller.js';
import { MonitorGrpcController } from './controllers/monitor.grpc.controller.js';
import { PredictionsEventsController } from './controllers/predictions.events.controller.js';
import { AlertEventsRepository } from './repositories/alert-events.repository.js';
import { MetricsRepository } from './repositories/metrics.repository.js';
import { ReferenceStatisticsRepository } from './repositories/reference-statistics.repository.js';
import { DriftService } from './services/drift.service.js';
import { DashboardService } from './services/dashboard.service.js';
import { ModelStatsService } from './services/model-stats.service.js';

@Module({
  imports: [RuntimeModule.forRoot('monitor')],
  controllers: [MonitorGrpcController, PredictionsEventsController, DashboardHttpController],
  providers: [
    ModelStatsService,
    DashboardService,
    MetricsRepository,
    DriftService,
    ReferenceStatisticsRepository,
    AlertEventsRepository,
  ],
})
export class AppModule {}
