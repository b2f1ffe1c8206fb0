import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@aimass/errors';
import { GridExhaustedError } from '@aimass/tuning';
import { Injectable } from '@nestjs/common';
import { StudyStoreRepository } from '../repositories/study-store.repository.js';
import { TunerEventsRepository } from '../repositories/tuner-events.repository.js';
import { completionEvent, justEnded, settle } from '../studies/study-lifecycle.js';
import {
  budgetProblem,
  countTrials,
  trialRecords,
  type StudyRecord,
  type TrialEntry,
} from '../studies/study-record.js';
import { sampleDistinct } from '../studies/trial-sampling.js';
import { requireId, StudyService } from './study.service.js';

export type TrialOutcome = 'COMPLETE' | 'PRUNED' | 'FAILED';
const OUTCOMES: Record<TrialOutcome, TrialEntry['state']> = {
  COMPLETE: 'complete',
  PRUNED: 'pruned',
  FAILED: 'failed',
};

/**
 * Trials: Ask hands out the next trial, Report records an intermediate value and asks the pruner,
 * Tell ends a trial. Each is one compare-and-set of the study, so parallel workers calling any tuner
 * process see one order of trials.
 */
@Injectable()
export class TrialService {
  constructor(
    private readonly store: StudyStoreRepository,
    private readonly events: TunerEventsRepository,
    private readonly studies: StudyService,
  ) {}

  /** Ask/tell studies only: a training study's trials are started by the tuner itself. */
  async ask(request: { study_id: string }): Promise<TrialEntry> {
    const studyId = requireId(request.study_id);
    const { after } = await this.store.update(studyId, (s) => {
      askTellOnly(s, 'Ask');
      return this.open(s, new Date());
    });
    const trial = after.trials[after.trials.length - 1]!;
    await this.studies.announce(() =>
      this.events.publish('tuner.trial.started', {
        study_id: studyId,
        trial: trial.number,
        params: trial.params,
        attempt: 1,
      }),
    );
    return trial;
  }

  /**
   * The study with one more trial, its parameters chosen by the sampler over every trial so far
   * (running ones included, which TPE's constant liar and GP's fantasies need). Throws when the
   * budget or the parallelism leaves no room.
   */
  open(study: StudyRecord, now: Date, extra: Partial<TrialEntry> = {}): StudyRecord {
    const problem = budgetProblem(study, now);
    if (problem) throw new FailedPreconditionError(`no new trial: ${problem}`);
    const running = countTrials(study).running;
    if (running >= study.spec.parallelism)
      throw new ResourceExhaustedError(
        `study ${study.study_id} already runs ${running} trial(s), its parallelism; tell one first`,
      );
    const c0 = process.cpuUsage();
    let params;
    try {
      params = sampleDistinct(this.studies.samplerOf(study), study);
    } catch (cause) {
      if (cause instanceof GridExhaustedError)
        throw new FailedPreconditionError(`no new trial: ${cause.message}`, { cause });
      throw cause;
    }
    const c = process.cpuUsage(c0);
    const trial: TrialEntry = {
      number: study.trials.length,
      state: 'running',
      params,
      intermediate: {},
      started_at: now.toISOString(),
      sampler_ms: (c.user + c.system) / 1000,
      attempts: 1,
      ...extra,
    };
    return { ...study, trials: [...study.trials, trial] };
  }

  async report(request: {
    study_id: string;
    trial: number;
    step: number;
    value: number;
  }): Promise<{ should_prune: boolean }> {
    if (!Number.isFinite(request.value)) throw new InvalidArgumentError('value: must be a finite number');
    let decision = false;
    await this.store.update(requireId(request.study_id), (s) => {
      askTellOnly(s, 'Report');
      const trial = runningTrial(s, request.trial, 'report on');
      const reported: TrialEntry = {
        ...trial,
        intermediate: { ...trial.intermediate, [String(request.step)]: request.value },
      };
      const next = withTrial(s, reported);
      decision = this.studies.prunerOf(s).shouldPrune({
        direction: s.spec.direction,
        trial: trialRecords(next)[reported.number]!,
        step: request.step,
        trials: trialRecords(next),
      });
      return next;
    });
    return { should_prune: decision };
  }

  async tell(request: {
    study_id: string;
    trial: number;
    state: string;
    value: number;
    reason: string;
  }): Promise<TrialEntry> {
    const outcome = request.state.toUpperCase() as TrialOutcome;
    if (!(outcome in OUTCOMES))
      throw new InvalidArgumentError(`state: must be COMPLETE, PRUNED or FAILED, not "${request.state}"`);
    if (outcome === 'COMPLETE' && !Number.isFinite(request.value))
      throw new InvalidArgumentError('value: a COMPLETE trial needs a finite value');
    const state = OUTCOMES[outcome];
    const { before, after } = await this.store.update(requireId(request.study_id), (s) => {
      askTellOnly(s, 'Tell');
      const current = findTrial(s, request.trial);
      if (current.state !== 'running') {
        if (current.state === state && (state !== 'complete' || current.value === request.value))
          return undefined;
        throw new FailedPreconditionError(
          `trial ${request.trial} of study ${s.study_id} has already ended ${current.state.toUpperCase()}`,
        );
      }
      const steps = Object.keys(current.intermediate).map(Number);
      const ended: TrialEntry = {
        ...current,
        state,
        ended_at: new Date().toISOString(),
        ...(state === 'complete' ? { value: request.value } : {}),
        ...(state === 'pruned' && steps.length > 0 ? { pruned_at: Math.max(...steps) } : {}),
        ...(state === 'failed' && request.reason ? { reason: request.reason } : {}),
      };
      return settle(withTrial(s, ended), new Date());
    });
    const trial = findTrial(after, request.trial);
    if (findTrial(before, request.trial).state === 'running') await this.announceEnd(after, trial);
    if (justEnded(before, after))
      await this.studies.announce(() => this.events.publish('tuner.study.completed', completionEvent(after)));
    return trial;
  }

  async announceEnd(study: StudyRecord, trial: TrialEntry): Promise<void> {
    const base = { study_id: study.study_id, trial: trial.number };
    await this.studies.announce(() =>
      trial.state === 'pruned'
        ? this.events.publish('tuner.trial.pruned', {
            ...base,
            step: trial.pruned_at ?? 0,
            ...(trial.pruned_at !== undefined ? { value: trial.intermediate[String(trial.pruned_at)] } : {}),
          })
        : this.events.publish('tuner.trial.completed', {
            ...base,
            state: trial.state === 'complete' ? 'complete' : 'failed',
            ...(trial.value !== undefined ? { value: trial.value } : {}),
            ...(trial.reason ? { reason: trial.reason } : {}),
            ...(trial.model ? { model: trial.model } : {}),
            ...(trial.version ? { version: trial.version } : {}),
          }),
    );
  }
}

/** Training trials are driven by the tuner from the trainer's events, not by callers. */
function askTellOnly(study: StudyRecord, method: string): void {
  if (study.mode === 'training')
    throw new FailedPreconditionError(
      `study ${study.study_id} runs its trials as training jobs; ${method} is for ask/tell studies`,
    );
}

export function findTrial(study: StudyRecord, number: number): TrialEntry {
  const trial = study.trials[number];
  if (!trial) throw new NotFoundError(`study ${study.study_id} has no trial ${number}`);
  return trial;
}

function runningTrial(study: StudyRecord, number: number, what: string): TrialEntry {
  const trial = findTrial(study, number);
  if (trial.state !== 'running')
    throw new FailedPreconditionError(
      `cannot ${what} trial ${number} of study ${study.study_id}: it has ended ${trial.state.toUpperCase()}`,
    );
  return trial;
}

export function withTrial(study: StudyRecord, trial: TrialEntry): StudyRecord {
  return { ...study, trials: study.trials.map((t) => (t.number === trial.number ? trial : t)) };
}
