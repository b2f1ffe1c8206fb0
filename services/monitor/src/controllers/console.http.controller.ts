import { Controller, Get, Param, Query, Res, Sse, type MessageEvent } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import type { ModelVersionStats } from '../predictions/model-version-stats.js';
import type { ConsoleAsset } from '../repositories/console-assets.repository.js';
import { ConsoleAppService } from '../services/console-app.service.js';
import { ConsoleUpdatesService } from '../services/console-updates.service.js';
import { DataConsoleService } from '../services/data-console.service.js';
import { MeshConsoleService } from '../services/mesh-console.service.js';
import { ModelStatsService } from '../services/model-stats.service.js';
import { ModelsConsoleService } from '../services/models-console.service.js';
import { TrainingConsoleService } from '../services/training-console.service.js';

/** The part of the platform's (express) response the console's files need. */
interface Response {
  setHeader(name: string, value: string): void;
  send(body: Buffer): void;
}

/**
 * The console: its single-page app at / (and its two bundles), the JSON it reads, and the
 * server-sent events that keep it live. Read-only and unauthenticated, like /metrics (see README).
 */
@Controller()
export class ConsoleHttpController {
  constructor(
    private readonly app: ConsoleAppService,
    private readonly stats: ModelStatsService,
    private readonly models: ModelsConsoleService,
    private readonly training: TrainingConsoleService,
    private readonly data: DataConsoleService,
    private readonly mesh: MeshConsoleService,
    private readonly updates: ConsoleUpdatesService,
  ) {}

  @Get()
  page(@Res() response: Response): void {
    send(response, this.app.page());
  }

  @Get('console/:file')
  asset(@Param('file') file: string, @Res() response: Response): void {
    send(response, this.app.bundle(file));
  }

  @Get('api/models')
  modelStats(@Query('model') model?: string): { stats: ModelVersionStats[] } {
    return this.stats.getModelStats({ model });
  }

  @Get('api/console/models')
  listModels() {
    return this.models.models();
  }

  @Get('api/console/models/:model')
  model(@Param('model') model: string) {
    return this.models.model(model);
  }

  @Get('api/console/models/:model/series')
  modelSeries(@Param('model') model: string, @Query('points') points?: string) {
    return this.models.series({ model, points });
  }

  @Get('api/console/training/runs')
  runs() {
    return this.training.list();
  }

  @Get('api/console/training/runs/:job')
  run(@Param('job') job: string) {
    return this.training.detail(job);
  }

  @Get('api/console/training/curves')
  curves(@Query() query: Record<string, string>) {
    return this.training.curves(query);
  }

  @Get('api/console/data/:model/:version')
  reference(@Param('model') model: string, @Param('version') version: string) {
    return this.data.reference({ model, version });
  }

  @Get('api/console/mesh')
  meshStatus() {
    return this.mesh.mesh();
  }

  @Sse('api/console/events')
  events(): Observable<MessageEvent> {
    return this.updates.stream().pipe(map((update) => ({ data: update })));
  }
}

function send(response: Response, asset: ConsoleAsset): void {
  response.setHeader('Content-Type', asset.contentType);
  response.setHeader('Cache-Control', 'no-cache');
  response.send(asset.body);
}
