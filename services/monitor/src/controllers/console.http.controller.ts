import { allows, ANONYMOUS, type Principal } from '@aimass/auth';
import { PermissionDeniedError } from '@aimass/errors';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import type { ModelVersionStats } from '../predictions/model-version-stats.js';
import type { ConsoleAsset } from '../repositories/console-assets.repository.js';
import { AlertsService } from '../services/alerts.service.js';
import { ConsoleAppService } from '../services/console-app.service.js';
import { ConsoleUpdatesService } from '../services/console-updates.service.js';
import { DataConsoleService } from '../services/data-console.service.js';
import { MeshConsoleService } from '../services/mesh-console.service.js';
import { ModelStatsService } from '../services/model-stats.service.js';
import { ModelsConsoleService } from '../services/models-console.service.js';
import { StudiesConsoleService } from '../services/studies-console.service.js';
import { TrainingConsoleService } from '../services/training-console.service.js';
import { authorize as authorizeConsole } from './console-auth.js';

/** The part of the platform's (express) response the console's files need. */
interface Response {
  setHeader(name: string, value: string): void;
  send(body: Buffer): void;
}

/**
 * The console: its single-page app at / (and its two bundles), the JSON it reads, and the
 * server-sent events that keep it live. Reading is unauthenticated, like /metrics (see README);
 * acknowledging and silencing alerts go through the same access rules as their gRPC methods, with
 * the bearer token of the Authorization header when authentication is on.
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
    private readonly alerts: AlertsService,
    private readonly studies: StudiesConsoleService,
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

  @Get('api/console/data/:model/:version/live')
  live(@Param('model') model: string, @Param('version') version: string, @Query('points') points?: string) {
    return this.data.live({ model, version, points });
  }

  @Get('api/console/alerts')
  listAlerts(@Query() query: Record<string, string>) {
    return this.alerts.listAlerts(query);
  }

  @Post('api/console/alerts/:id/acknowledge')
  @HttpCode(200)
  async acknowledge(
    @Param('id') id: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('authorization') authorization?: string,
  ) {
    const request = { ...body, id };
    const principal = await authorize('AcknowledgeAlert', authorization, request);
    if (principal !== ANONYMOUS) {
      // As over gRPC: an id that names no alert needs the scope on every model (no probing for ids).
      const model = this.alerts.find(id)?.model;
      if (!allows(principal.grants, 'models:write', model))
        throw new PermissionDeniedError(
          `${principal.subject} needs the scope models:write${model === undefined ? '' : `:${model}`}`,
        );
    }
    return this.alerts.acknowledge(actingAs(principal, request));
  }

  @Get('api/console/silences')
  listSilences(@Query() query: Record<string, string>) {
    return this.alerts.listSilences(query);
  }

  @Post('api/console/silences')
  @HttpCode(200)
  async silence(
    @Body() body: Record<string, unknown> | undefined,
    @Headers('authorization') authorization?: string,
  ) {
    const principal = await authorize('SilenceAlerts', authorization, body ?? {});
    return this.alerts.silence(actingAs(principal, body ?? {}));
  }

  @Get('api/console/studies')
  listStudies() {
    return this.studies.list();
  }

  @Get('api/console/studies/:study')
  study(@Param('study') study: string, @Query('points') points?: string) {
    return this.studies.detail({ study, points });
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

function authorize(method: string, authorization: string | undefined, request: unknown): Promise<Principal> {
  return authorizeConsole(`aimass.monitor.v1.MonitorService/${method}`, authorization, request);
}

/** With authentication on, the token's subject is who acts, whatever the request says. */
function actingAs(principal: Principal, request: Record<string, unknown>): Record<string, unknown> {
  return principal === ANONYMOUS ? request : { ...request, by: principal.subject };
}

function send(response: Response, asset: ConsoleAsset): void {
  response.setHeader('Content-Type', asset.contentType);
  response.setHeader('Cache-Control', 'no-cache');
  response.send(asset.body);
}
