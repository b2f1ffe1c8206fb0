import type { oip } from '@aimass/contracts';
import { Injectable } from '@nestjs/common';
import { ModelStatisticsBook } from '../observability/model-statistics.js';

/** Triton's ModelStatistics: what this process has served, per model version. */
@Injectable()
export class ModelStatisticsService {
  private readonly book = new ModelStatisticsBook();

  recordSuccess(...args: Parameters<ModelStatisticsBook['recordSuccess']>): void {
    this.book.recordSuccess(...args);
  }

  recordFailure(model: string, version: string, requestUs: number): void {
    this.book.recordFailure(model, version, requestUs);
  }

  forget(model: string, version: string): void {
    this.book.forget(model, version);
  }

  statistics(req: oip.ModelStatisticsRequest__Output): oip.ModelStatisticsResponse {
    return { model_stats: this.book.list(req.name, req.version) };
  }
}
