import { Controller, Get, Header, HttpException, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { ServiceHealth } from './service-health.js';
import { METRICS_REGISTRY } from './tokens.js';

/** HTTP endpoints every service answers: Prometheus /metrics and /healthz for orchestrators. */
@Controller()
export class OpsController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    private readonly health: ServiceHealth,
  ) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  @Get('healthz')
  healthz(): { status: string; service: string } {
    if (!this.health.isServing)
      throw new HttpException({ status: 'NOT_SERVING', service: this.health.service }, 503);
    return { status: 'SERVING', service: this.health.service };
  }
}
