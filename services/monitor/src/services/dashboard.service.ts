import { Injectable } from '@nestjs/common';
import { renderDashboardPage } from '../dashboard/dashboard-page.js';
import { ModelStatsService } from './model-stats.service.js';

/** The server-rendered dashboard at GET /: what ModelStatsService knows, as one HTML table. */
@Injectable()
export class DashboardService {
  constructor(private readonly stats: ModelStatsService) {}

  page(): string {
    return renderDashboardPage(this.stats.list());
  }
}
