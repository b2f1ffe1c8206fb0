import type { AimassConfig } from '@aimass/config';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { InputSketches } from '../observability/input-sketches.js';
import { PredictionWindows } from '../observability/prediction-windows.js';
import type { NamedTensor } from '../types.js';
import { PredictionSummaryRepository } from '../repositories/prediction-summary.repository.js';
import { DetectorScoringService } from './detector-scoring.service.js';

/** Collects prediction outcomes and publishes one summary per interval, never one per request. */
@Injectable()
export class PredictionSummaryService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PredictionSummaryService.name);
  private readonly windows = new PredictionWindows();
  private readonly instance = `${hostname()}-${process.pid}`;
  private timer: NodeJS.Timeout | undefined;
  /** Undefined when AIMASS_INFERENCE_SKETCHES=false. */
  private readonly sketches: InputSketches | undefined;

  constructor(
    private readonly summaries: PredictionSummaryRepository,
    private readonly detectors: DetectorScoringService,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {
    const { sketches, sketchRowsPerSecond, sketchValuesPerSecond, summaryIntervalMs } = config.inference;
    const perInterval = (perSecond: number) =>
      Math.max(1, Math.round((perSecond * summaryIntervalMs) / 1000));
    this.sketches = sketches
      ? new InputSketches(perInterval(sketchRowsPerSecond), perInterval(sketchValuesPerSecond))
      : undefined;
  }

  /** Folds a request's first input into its version's sketches (drift); ~0.3 µs per sampled value. */
  recordInputs(model: string, version: string, inputs: readonly NamedTensor[]): void {
    this.sketches?.fold(model, version, inputs[0]);
  }

  /** `executionRows`: the rows of the execution this request led (see PredictionWindows.record). */
  record(model: string, version: string, latencyMs: number, ok: boolean, executionRows?: number): void {
    this.windows.record(model, version, latencyMs, ok, executionRows);
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
    const sketches = this.sketches;
    const summary = this.windows.take(
      sketches && ((model, version) => sketches.take(model, version)),
      this.detectors.take(),
    );
    sketches?.sweep();
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
