import type { monitorv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { DriftService } from '../services/drift.service.js';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class MonitorGrpcController {
  constructor(
    private readonly stats: ModelStatsService,
    private readonly drift: DriftService,
  ) {}

  @GrpcMethod('MonitorService', 'GetModelStats')
  getModelStats(request: monitorv1.GetModelStatsRequest__Output): monitorv1.GetModelStatsResponse {
    return this.stats.getModelStats(request);
  }

  @GrpcMethod('MonitorService', 'ListAlerts')
  listAlerts(request: monitorv1.ListAlertsRequest__Output): monitorv1.ListAlertsResponse {
    return this.drift.listAlerts(request);
  }
}
