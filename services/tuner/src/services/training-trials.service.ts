import { EVENT_SCHEMAS, type Envelope } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModelAliasRepository } from '../repositories/model-alias.repository.js';
import { StudyStoreRepository } from '../repositories/study-store.repository.js';
import { TrainerJobsRepository } from '../repositories/trainer-jobs.repository.js';
import { TunerEventsRepository } from '../repositories/tuner-events.repository.js';
import { substitute } from '../studies/job-template.js';
import { completionEvent, justEnded } from '../studies/study-lifecycle.js';
import {
  bestTrial,
  budgetProblem,
  countTrials,
  isDone,
  trialRecords,
  type StudyRecord,
  type TrialEntry,
} from '../studies/study-record.js';
import { StudyService } from './study.service.js';
import { findTrial, TrialService, withTrial } from './trial.service.js';

/** How often the tuner looks for training trials to start, jobs to (re)submit and studies to finish. */
const TICK_MS = 1000;
const JOB_ID = /^(.+)-t(\d+)-a(\d+)$/;

export function trialJobId(studyId: string, trial: number, attempt: number): string {
  return `${studyId}-t${trial}-a${attempt}`;
}

/**
 * Training studies: each trial is a trainer job. The study record says everything that has to happen
 * (which trials run, with which job, whether it was submitted, whether a pruned job was cancelled), and
 * every step is either a compare-and-set of it or an idempotent call made after one (SubmitJob by id,
 * CancelJob, SetAlias). A tuner killed at any point and restarted picks up from the record: a trial
 * whose job was never submitted is submitted, one whose job was is left to the trainer (whose
 * redelivery resumes it on another node), and the job events it missed wait in its durable consumer.
 */
@Injectable()
export class TrainingTrialsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TrainingTrialsService.name);
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly store: StudyStoreRepository,
    private readonly events: TunerEventsRepository,
    private readonly studies: StudyService,
    private readonly trials: TrialService,
    private readonly trainer: TrainerJobsRepository,
    private readonly registry: ModelAliasRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One pass over the running training studies; an outage is logged and the next pass retries. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const study of await this.store.list())
        if (study.mode === 'training' && (study.state === 'RUNNING' || hasUnfinishedWork(study)))
          await this.advance(study.study_id).catch((err: unknown) =>
            this.logger.warn(`study ${study.study_id}: ${(err as Error).message}`),
          );
    } catch (err) {
      this.logger.warn(`could not list studies: ${(err as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Starts trials up to the parallelism, submits unsubmitted jobs, cancels pruned ones, finishes. */
  async advance(studyId: string): Promise<void> {
    for (;;) {
      const { before, after } = await this.store.update(studyId, (s) => {
        if (s.state !== 'RUNNING' || budgetProblem(s, new Date()) !== undefined) return undefined;
        if (countTrials(s).running >= s.spec.parallelism) return undefined;
        const number = s.trials.length;
        return this.trials.open(s, new Date(), { job_id: trialJobId(s.study_id, number, 1) });
      });
      if (after === before) break;
      const trial = after.trials[after.trials.length - 1]!;
      await this.studies.announce(() =>
        this.events.publish('tuner.trial.started', {
          study_id: studyId,
          trial: trial.number,
          params: trial.params,
          job_id: trial.job_id!,
          attempt: 1,
        }),
      );
    }
    const study = await this.store.get(studyId);
    for (const trial of study.trials) {
      if (trial.state === 'running' && trial.job_id && !trial.submitted) await this.submit(study, trial);
      if (trial.cancel_job && trial.job_id && !trial.cancelled) {
        await this.trainer.cancel(trial.job_id);
        await this.patch(studyId, trial.number, trial.job_id, (t) => ({ ...t, cancelled: true }));
      }
    }
    await this.finish(studyId);
  }

  private async submit(study: StudyRecord, trial: TrialEntry): Promise<void> {
    const spec = {
      ...(substitute(study.spec.template, trial.params, study.spec.space) as Record<string, unknown>),
      study: { study_id: study.study_id, trial: trial.number },
    };
    try {
      await this.trainer.submit(trial.job_id!, spec);
      await this.patch(study.study_id, trial.number, trial.job_id!, (t) => ({ ...t, submitted: true }));
    } catch (err) {
      // A spec the trainer refuses (the dataset is gone, say) fails this attempt like a failed job.
      if (err instanceof InvalidArgumentError)
        await this.attemptFailed(study.study_id, trial.job_id!, err.message);
      else throw err;
    }
  }

  /** A trainer job event; events of jobs that are not a trial's current attempt are ignored. */
  async onJobEvent(envelope: Envelope): Promise<void> {
    const data = envelope.data as { job_id?: string };
    const m = JOB_ID.exec(data.job_id ?? '');
    if (!m) return;
    const studyId = m[1] as string;
    const trialNumber = Number(m[2]);
    const study = await this.store.find(studyId);
    const trial = study?.trials[trialNumber];
    if (!study || !trial?.job_id || trial.job_id !== data.job_id || trial.state !== 'running') return;
    const jobId = trial.job_id;
    switch (envelope.type) {
      case 'trainer.job.progress':
        return this.onProgress(study, trial, EVENT_SCHEMAS['trainer.job.progress'].parse(envelope.data));
      case 'trainer.job.succeeded': {
        const ok = EVENT_SCHEMAS['trainer.job.succeeded'].parse(envelope.data);
        return this.onSucceeded(studyId, jobId, ok.model, ok.version, ok.metrics);
      }
      case 'trainer.job.failed':
        return this.attemptFailed(
          studyId,
          jobId,
          EVENT_SCHEMAS['trainer.job.failed'].parse(envelope.data).reason,
        );
      case 'trainer.job.cancelled':
        return this.attemptFailed(studyId, jobId, 'its training job was cancelled outside the study');
      default:
        return;
    }
  }

  private async onProgress(
    study: StudyRecord,
    trial: TrialEntry,
    progress: { epoch: number; losses: Record<string, number>; metrics: Record<string, number> },
  ): Promise<void> {
    const value = progress.losses[study.spec.metric] ?? progress.metrics[study.spec.metric];
    if (value === undefined || !Number.isFinite(value)) return;
    let pruned = false;
    const { after } = await this.store.update(study.study_id, (s) => {
      const current = findTrial(s, trial.number);
      if (current.state !== 'running' || current.job_id !== trial.job_id) return undefined;
      const reported: TrialEntry = {
        ...current,
        intermediate: { ...current.intermediate, [String(progress.epoch)]: value },
      };
      const next = withTrial(s, reported);
      pruned =
        progress.epoch < progressEpochs(s) &&
        this.studies.prunerOf(s).shouldPrune({
          direction: s.spec.direction,
          trial: trialRecords(next)[trial.number]!,
          step: progress.epoch,
          trials: trialRecords(next),
        });
      return pruned
        ? withTrial(next, {
            ...reported,
            state: 'pruned',
            cancel_job: true,
            pruned_at: progress.epoch,
            ended_at: new Date().toISOString(),
          })
        : next;
    });
    if (!pruned) return;
    const ended = findTrial(after, trial.number);
    await this.trials.announceEnd(after, ended);
    await this.trainer.cancel(trial.job_id!);
    await this.patch(study.study_id, trial.number, trial.job_id!, (t) => ({ ...t, cancelled: true }));
    await this.finish(study.study_id);
  }

  private async onSucceeded(
    studyId: string,
    jobId: string,
    model: string,
    version: number,
    metrics: Record<string, number>,
  ): Promise<void> {
    const { before, after } = await this.store.update(studyId, (s) => {
      const current = s.trials.find((t) => t.job_id === jobId);
      if (!current || current.state !== 'running') return undefined;
      const steps = Object.keys(current.intermediate).map(Number);
      const last = steps.length > 0 ? current.intermediate[String(Math.max(...steps))] : undefined;
      const value = metrics[s.spec.metric] ?? last;
      return withTrial(s, {
        ...current,
        ...(value !== undefined && Number.isFinite(value)
          ? { state: 'complete', value }
          : { state: 'failed', reason: `the job reported no ${s.spec.metric}` }),
        model,
        version,
        ended_at: new Date().toISOString(),
      });
    });
    if (after !== before) {
      const trial = after.trials.find((t) => t.job_id === jobId)!;
      await this.trials.announceEnd(after, trial);
    }
    await this.finish(studyId);
  }

  /** The attempt failed: the trial gets a new attempt (a new job) while retries are left, else fails. */
  private async attemptFailed(studyId: string, jobId: string, reason: string): Promise<void> {
    const { before, after } = await this.store.update(studyId, (s) => {
      const current = s.trials.find((t) => t.job_id === jobId);
      if (!current || current.state !== 'running') return undefined;
      if (current.attempts <= s.spec.retries)
        return withTrial(s, {
          ...current,
          attempts: current.attempts + 1,
          job_id: trialJobId(s.study_id, current.number, current.attempts + 1),
          submitted: false,
          intermediate: {},
          reason,
        });
      return withTrial(s, { ...current, state: 'failed', reason, ended_at: new Date().toISOString() });
    });
    if (after === before) return;
    const trial = after.trials.find(
      (t) => t.number === before.trials.find((b) => b.job_id === jobId)!.number,
    )!;
    if (trial.state === 'failed') await this.trials.announceEnd(after, trial);
    else
      await this.studies.announce(() =>
        this.events.publish('tuner.trial.started', {
          study_id: studyId,
          trial: trial.number,
          params: trial.params,
          job_id: trial.job_id!,
          attempt: trial.attempts,
        }),
      );
    await this.finish(studyId);
  }

  /** A done study: its alias moves to the best trial's version first, then it is marked COMPLETED. */
  private async finish(studyId: string): Promise<void> {
    const study = await this.store.get(studyId);
    if (!isDone(study, new Date())) return;
    const best = bestTrial(study);
    const target =
      study.spec.alias && best?.model && best.version
        ? { model: best.model, version: best.version }
        : undefined;
    if (target) await this.registry.setAlias(target.model, study.spec.alias!, target.version);
    const { before, after } = await this.store.update(studyId, (s) =>
      isDone(s, new Date())
        ? { ...s, state: 'COMPLETED', ...(target ? { aliased: target } : {}) }
        : undefined,
    );
    if (justEnded(before, after))
      await this.studies.announce(() => this.events.publish('tuner.study.completed', completionEvent(after)));
  }

  /** Changes one trial if it still runs attempt `jobId` (or was pruned in it). */
  private async patch(
    studyId: string,
    number: number,
    jobId: string,
    change: (t: TrialEntry) => TrialEntry,
  ): Promise<void> {
    await this.store.update(studyId, (s) => {
      const t = s.trials[number];
      return t && t.job_id === jobId ? withTrial(s, change(t)) : undefined;
    });
  }
}

/** A job still to cancel (a pruned trial's, or one a stopped study ended) keeps a study on the list. */
function hasUnfinishedWork(study: StudyRecord): boolean {
  return study.trials.some((t) => t.cancel_job && t.job_id !== undefined && !t.cancelled);
}

/** The epochs each trial trains: the last one's report is its result, never pruned. */
function progressEpochs(study: StudyRecord): number {
  const epochs = (study.spec.template as { epochs?: unknown } | undefined)?.epochs;
  return typeof epochs === 'number' ? epochs : Infinity;
}
