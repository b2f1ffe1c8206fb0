import { parseInput, type Envelope } from '@aimass/contracts';
import { NotFoundError } from '@aimass/errors';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { TrainingRuns, type RunCurve, type RunDetail, type RunSummary } from '../console/training-runs.js';
import { TrainingCurvesQuerySchema } from '../dtos/console-query.dto.js';
import { TrainingHistoryRepository } from '../repositories/training-history.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

/** The Training view's data: every run's curves, logs and attempts, from the trainer's job events. */
@Injectable()
export class TrainingConsoleService implements OnModuleInit {
  private readonly runs = new TrainingRuns();

  constructor(
    private readonly history: TrainingHistoryRepository,
    private readonly updates: ConsoleUpdatesService,
  ) {}

  onModuleInit(): void {
    this.history.follow((envelope) => this.record(envelope));
  }

  record(envelope: Envelope): void {
    const epoch = this.runs.apply(envelope);
    if (epoch) this.updates.epoch(epoch);
    else {
      const job = (envelope.data as { job_id?: string }).job_id;
      const detail = job ? this.runs.detail(job) : undefined;
      if (detail) this.updates.run(detail);
    }
  }

  list(): { runs: RunSummary[] } {
    return { runs: this.runs.list() };
  }

  detail(jobId: string): RunDetail {
    const detail = this.runs.detail(jobId);
    if (!detail) throw new NotFoundError(`no training run ${jobId}`);
    return detail;
  }

  /**
   * The curves of several runs, each thinned on the server so the chart gets at most `points` per
   * curve. A job with no events yet is listed in `unknown` (a console may select a run before it starts).
   */
  curves(query: unknown): { runs: { job_id: string; curves: RunCurve[] }[]; unknown: string[] } {
    const { jobs, keys, points } = parseInput(TrainingCurvesQuerySchema, query, 'training curves query');
    const runs: { job_id: string; curves: RunCurve[] }[] = [];
    const unknown: string[] = [];
    for (const job_id of jobs) {
      const curves = this.runs.curves(job_id, points, keys);
      if (curves) runs.push({ job_id, curves });
      else unknown.push(job_id);
    }
    return { runs, unknown };
  }
}
