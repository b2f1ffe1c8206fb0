import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { HubService, type Viewer } from '../services/hub.service.js';
import { authenticationOn, authorize } from './console-auth.js';

const HUB = 'aimass.monitor.console.Hub';

/** The part of the platform's (express) response a download needs. */
interface DownloadResponse {
  setHeader(name: string, value: string): void;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): void;
  end(): void;
  destroy(err?: Error): void;
  readonly writableEnded: boolean;
}

/**
 * The console's hub (README "Console"): search and model pages read like the rest of the console,
 * without a token; a token, when sent, shows the team and private models it is for. Downloads (model
 * bytes), stars and posts need a bearer token with authentication on, and its subject is who stars
 * or writes. "Try it" forwards the visitor's token to inference, which checks `infer`.
 */
@Controller('api/console/hub')
export class HubHttpController {
  constructor(private readonly hub: HubService) {}

  @Get()
  async search(@Query() query: Record<string, string>, @Headers('authorization') authorization?: string) {
    return this.hub.search(query, await viewer(authorization));
  }

  @Get(':model')
  async page(@Param('model') model: string, @Headers('authorization') authorization?: string) {
    return this.hub.page(model, await viewer(authorization));
  }

  @Get(':model/versions/:version/download')
  async download(
    @Param() params: Record<string, string>,
    @Res() response: DownloadResponse,
    @Headers('authorization') authorization?: string,
  ): Promise<void> {
    const principal = await authorize(`${HUB}/DownloadVersion`, authorization, params);
    const artifact = await this.hub.download(params, { principal, authenticated: authenticationOn() });
    response.setHeader('Content-Type', 'application/octet-stream');
    response.setHeader('Content-Length', String(artifact.size_bytes));
    response.setHeader('Content-Disposition', `attachment; filename="${artifact.filename}"`);
    response.setHeader('X-Aimass-Sha256', artifact.sha256);
    try {
      for await (const chunk of artifact.chunks)
        if (!response.write(chunk)) await new Promise<void>((resolve) => response.once('drain', resolve));
      response.end();
    } catch (err) {
      // Headers are out: the browser sees a cut transfer (short of Content-Length), never a whole file.
      response.destroy(err as Error);
    }
  }

  @Post(':model/try')
  @HttpCode(200)
  async tryIt(
    @Param('model') model: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('authorization') authorization?: string,
  ) {
    return this.hub.tryIt({ ...body, model }, await viewer(authorization), authorization);
  }

  @Post(':model/star')
  @HttpCode(200)
  async star(
    @Param('model') model: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('authorization') authorization?: string,
  ) {
    const request = { ...body, model };
    const principal = await authorize(`${HUB}/StarModel`, authorization, request);
    return this.hub.star(request, { principal, authenticated: authenticationOn() });
  }

  @Post(':model/posts')
  @HttpCode(200)
  async post(
    @Param('model') model: string,
    @Body() body: Record<string, unknown> | undefined,
    @Headers('authorization') authorization?: string,
  ) {
    const request = { ...body, model };
    const principal = await authorize(`${HUB}/PostMessage`, authorization, request);
    return this.hub.post(request, { principal, authenticated: authenticationOn() });
  }
}

/** A reader: anonymous without a token; with one (and authentication on), who the token says. */
async function viewer(authorization: string | undefined): Promise<Viewer> {
  const authenticated = authenticationOn();
  if (!authenticated || !authorization) return { principal: undefined, authenticated };
  return { principal: await authorize(`${HUB}/Browse`, authorization, {}), authenticated };
}
