import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { DashboardService } from './dashboard.service.js';
import type { ModelVersionStats } from '../predictions/model-version-stats.js';
import { ModelStatsService } from './model-stats.service.js';

const fraud: ModelVersionStats = {
  model: 'fraud',
  version: '3',
  requests: 1200,
  failures: 4,
  latency_mean_ms: 3.456,
  latency_p50_ms: 2.5,
  latency_p99_ms: 48.1,
  last_seen: '2025-01-02T03:04:05.000Z',
};

function dashboardShowing(stats: ModelVersionStats[]) {
  const list = vi.fn().mockReturnValue(stats);
  return {
    dashboard: new DashboardService(strictMock<ModelStatsService>({ list }, 'ModelStatsService')),
    list,
  };
}

describe('DashboardService', () => {
  it('lists every model version with its figures and reloads itself', () => {
    const { dashboard, list } = dashboardShowing([fraud]);
    const page = dashboard.page();
    expect(list).toHaveBeenCalledWith();
    expect(page).toContain('<meta http-equiv="refresh" content="2">');
    expect(page).toContain(
      '<td>fraud</td><td>3</td><td>1200</td><td>4</td><td>3.46</td><td>2.50</td><td>48.10</td><td>2025-01-02T03:04:05.000Z</td>',
    );
  });

  it('says so when nothing was seen', () => {
    expect(dashboardShowing([]).dashboard.page()).toContain('No predictions seen yet.');
  });

  it('escapes names that publishers chose', () => {
    const page = dashboardShowing([
      { ...fraud, model: '<script>alert("x")</script>', version: "a&b'" },
    ]).dashboard.page();
    expect(page).not.toContain('<script>');
    expect(page).toContain('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><td>a&amp;b&#39;</td>');
  });
});
