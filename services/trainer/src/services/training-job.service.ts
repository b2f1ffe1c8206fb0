import type { AimassConfig } from '@aimass/config';
import { parseInput } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { TrainingRequestEventSchema, TrainingSpecSchema } from '../dtos/training-request.dto.js';
import { NO_BACKEND } from '../trainer/backend.js';
import { jobIdFor } from '../trainer/job-id.js';
import { JobQueueRepository } from '../repositories/job-queue.repository.js';

/**
 * Takes training requests onto the work queue and runs the jobs this node pulls off it. The training
 * engines arrive with a later issue; until then every job fails, saying why. It never reports a
 * success.
 */
@Injectable()
export class TrainingJobService {
  constructor(
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
    private readonly queue: JobQueueRepository,
  ) {}

  /**
   * A request from anyone: it gets a job id (its own, or one derived from the request so a
   * redelivery does not queue it twice) and goes onto its pool's queue. A request whose spec cannot
   * be trained fails at once with a job event, so whoever asked hears back.
   */
  async enqueue(event: unknown): Promise<void> {
    const request = parseInput(TrainingRequestEventSchema, event, 'training request');
    const job = { ...request.data, job_id: request.data.job_id ?? jobIdFor(request.id) };
    const problem = specProblem(job.spec);
    if (problem) {
      await this.queue.reportFailed({ job_id: job.job_id, pool: job.pool, backend: NO_BACKEND, reason: problem });
      return;
    }
    await this.queue.enqueue(job);
  }

  /** A job off this node's work queue. Returning acks it: the failure is its result. */
  async run(event: unknown): Promise<void> {
    const job = parseInput(TrainingRequestEventSchema, event, 'training job');
    const jobId = job.data.job_id ?? job.id;
    const pool = this.config.trainer.pool;
    const reason = specProblem(job.data.spec) ?? `no training engine for family "${String(job.data.spec.family)}" is available in this build`;
    await this.queue.reportFailed({ job_id: jobId, pool, backend: NO_BACKEND, reason });
  }
}

function specProblem(spec: unknown): string | undefined {
  try {
    parseInput(TrainingSpecSchema, spec, 'training spec');
    return undefined;
  } catch (err) {
    if (err instanceof InvalidArgumentError) return err.message;
    throw err;
  }
}
