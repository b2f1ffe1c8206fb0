import { parseInput } from '@aimass/contracts';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type JobSpec, validateSpec } from '../dtos/job-spec.dto.js';
import {
  JobIdSchema,
  ListJobsSchema,
  SubmitJobSchema,
  TrainingRequestEventSchema,
} from '../dtos/training-request.dto.js';
import { DatasetRepository } from '../repositories/dataset.repository.js';
import { JobQueueRepository } from '../repositories/job-queue.repository.js';
import { JobStoreRepository } from '../repositories/job-store.repository.js';
import { jobIdFor } from '../jobs/job-id.js';
import { isFinished, type JobRecord, newJobRecord } from '../jobs/job-record.js';

const NO_BACKEND = 'none';

/**
 * Turns requests into queued jobs and answers questions about them. A job is first a record in KV
 * (QUEUED), then a message on its pool's work queue; the record is the truth every node reads.
 */
@Injectable()
export class JobSubmissionService {
  constructor(
    private readonly store: JobStoreRepository,
    private readonly queue: JobQueueRepository,
    private readonly datasets: DatasetRepository,
  ) {}

  /** gRPC SubmitJob: a bad spec is INVALID_ARGUMENT and nothing is stored. */
  async submit(request: unknown): Promise<JobRecord> {
    const { job_id, spec_json } = parseInput(SubmitJobSchema, request, 'SubmitJob request');
    let raw: unknown;
    try {
      raw = JSON.parse(spec_json);
    } catch (err) {
      throw new InvalidArgumentError(`spec_json is not JSON: ${(err as Error).message}`);
    }
    const spec = validateSpec(raw);
    const pinned = await this.pinDataset(raw as Record<string, unknown>, spec);
    const jobId = job_id || randomUUID();
    const record = await this.createOrExisting(newJobRecord(jobId, spec.pool, pinned));
    if (record.state !== 'QUEUED') return record;
    try {
      await this.queue.enqueue({ job_id: jobId, pool: record.pool, spec: pinned });
    } catch (err) {
      // A caller that named the job retries under its id, which queues it again. An id made here was
      // never told to anyone: that record would stay QUEUED for ever, so it says what happened.
      if (!job_id)
        await this.store
          .update(jobId, (r) =>
            r.state === 'QUEUED'
              ? { ...r, state: 'FAILED', reason: `could not be queued: ${(err as Error).message}` }
              : undefined,
          )
          .catch(() => undefined);
      throw err;
    }
    return record;
  }

  /**
   * A `trainer.job.requested` event from anyone. A request whose spec cannot be trained fails at
   * once (a FAILED record and a `trainer.job.failed` event), so whoever asked hears back.
   */
  async enqueue(event: unknown): Promise<void> {
    const request = parseInput(TrainingRequestEventSchema, event, 'training request');
    const jobId = request.data.job_id ?? jobIdFor(request.id);
    const pool = poolOf(request.data.spec) ?? request.data.pool;
    const record = await this.createOrExisting(newJobRecord(jobId, pool, request.data.spec));
    if (record.state !== 'QUEUED') return;
    let spec: Record<string, unknown>;
    try {
      spec = await this.pinDataset(request.data.spec, validateSpec(request.data.spec));
    } catch (err) {
      if (!(err instanceof InvalidArgumentError || err instanceof NotFoundError)) throw err;
      await this.store.update(jobId, (r) =>
        r.state === 'QUEUED' ? { ...r, state: 'FAILED', reason: err.message } : undefined,
      );
      await this.queue.reportFailed({ job_id: jobId, pool, backend: NO_BACKEND, reason: err.message });
      return;
    }
    await this.queue.enqueue({ job_id: jobId, pool, spec });
  }

  /**
   * A registered dataset named without a version trains on the latest one at submission, written
   * into the queued spec, so a redelivered or resumed job reads the same rows.
   */
  private async pinDataset(raw: Record<string, unknown>, spec: JobSpec): Promise<Record<string, unknown>> {
    if (!('name' in spec.dataset) || spec.dataset.version !== undefined) return raw;
    const version = await this.datasets.resolveVersion(spec.dataset.name);
    return { ...raw, dataset: { ...(raw.dataset as Record<string, unknown>), version } };
  }

  get(request: unknown): Promise<JobRecord> {
    return this.store.get(parseInput(JobIdSchema, request, 'GetJob request').job_id);
  }

  async list(request: unknown): Promise<JobRecord[]> {
    const { state } = parseInput(ListJobsSchema, request, 'ListJobs request');
    const all = await this.store.list();
    return state ? all.filter((r) => r.state === state) : all;
  }

  /** A queued job is CANCELLED at once; a running one is flagged, and its node stops it within one batch. */
  async cancel(request: unknown): Promise<JobRecord> {
    const { job_id } = parseInput(JobIdSchema, request, 'CancelJob request');
    const current = await this.store.get(job_id);
    if (isFinished(current.state))
      throw new FailedPreconditionError(
        `job ${job_id} is already ${current.state}; only QUEUED or RUNNING jobs can be cancelled`,
      );
    const updated = await this.store.update(job_id, (r) => {
      if (isFinished(r.state)) return undefined;
      return r.state === 'QUEUED'
        ? { ...r, state: 'CANCELLED', cancel_requested: true, reason: 'cancelled before it started' }
        : { ...r, cancel_requested: true };
    });
    if (updated.state === 'CANCELLED' && current.state === 'QUEUED') {
      await this.queue.publish('trainer.job.cancelled', {
        job_id,
        pool: updated.pool,
        backend: NO_BACKEND,
        node_id: '',
        epoch: 0,
      });
    }
    return updated;
  }

  /** The record now, then every change until the job is finished (or the caller goes away). */
  async *progress(request: unknown, signal: AbortSignal): AsyncGenerator<JobRecord> {
    const { job_id } = parseInput(JobIdSchema, request, 'StreamProgress request');
    const pending: JobRecord[] = [];
    let wake: (() => void) | undefined;
    const watcher = await this.store.watch(job_id, (record) => {
      pending.push(record);
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      const first = await this.store.get(job_id);
      yield first;
      let last = first;
      while (!isFinished(last.state) && !signal.aborted) {
        if (pending.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        while (pending.length > 0) {
          const next = pending.shift() as JobRecord;
          if (next.updated_at < last.updated_at) continue;
          last = next;
          yield next;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      watcher.stop();
    }
  }

  private async createOrExisting(record: JobRecord): Promise<JobRecord> {
    try {
      return await this.store.create(record);
    } catch (err) {
      if (err instanceof AlreadyExistsError) return this.store.get(record.job_id);
      throw err;
    }
  }
}

/** The spec's own pool wins over the envelope's (which defaults to cpu). */
function poolOf(spec: Record<string, unknown>): 'cpu' | 'gpu' | undefined {
  return spec.pool === 'gpu' || spec.pool === 'cpu' ? spec.pool : undefined;
}
