import { Controller, Get, Header, Query } from '@nestjs/common';
import { DashboardService } from '../services/dashboard.service.js';
import type { ModelVersionStats } from '../predictions/model-version-stats.js';
import { ModelStatsService } from '../services/model-stats.service.js';

@Controller()
export class DashboardHttpController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly stats: ModelStatsService,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return this.dashboard.page();
  }

  @Get('api/models')
  models(@Query('model') model?: string): { stats: ModelVersionStats[] } {
    return this.stats.getModelStats({ model });
  }
}
