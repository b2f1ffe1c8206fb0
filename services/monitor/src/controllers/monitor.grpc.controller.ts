import type { monitorv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class MonitorGrpcController {
  constructor(private readonly stats: ModelStatsService) {}

  @GrpcMethod('MonitorService', 'GetModelStats')
  getModelStats(request: monitorv1.GetModelStatsRequest__Output): monitorv1.GetModelStatsResponse {
    return this.stats.getModelStats(request);
  }
}
