import type { monitorv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { AlertsService } from '../services/alerts.service.js';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class MonitorGrpcController {
  constructor(
    private readonly stats: ModelStatsService,
    private readonly alerts: AlertsService,
  ) {}

  @GrpcMethod('MonitorService', 'GetModelStats')
  getModelStats(request: monitorv1.GetModelStatsRequest__Output): monitorv1.GetModelStatsResponse {
    return this.stats.getModelStats(request);
  }

  @GrpcMethod('MonitorService', 'ListAlerts')
  listAlerts(request: monitorv1.ListAlertsRequest__Output): monitorv1.ListAlertsResponse {
    return this.alerts.listAlerts(request);
  }
}
