import type { AimassConfig } from '@aimass/config';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { PredictionWindows } from '../observability/prediction-windows.js';
import { PredictionSummaryRepository } from '../repositories/prediction-summary.repository.js';

/** Collects prediction outcomes and publishes one summary per interval, never one per request. */
@Injectable()
export class PredictionSummaryService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PredictionSummaryService.name);
  private readonly windows = new PredictionWindows();
  private readonly instance = `${hostname()}-${process.pid}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly summaries: PredictionSummaryRepository,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  record(model: string, version: string, latencyMs: number, ok: boolean): void {
    this.windows.record(model, version, latencyMs, ok);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.inference.summaryIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async flush(): Promise<void> {
    const summary = this.windows.take();
    if (!summary) return;
    try {
      await this.summaries.publish({ ...summary, instance: this.instance });
    } catch (err) {
      this.logger.warn(
        { err, windows: summary.windows.length },
        'prediction summary not published; the monitor misses this window',
      );
    }
  }
}
