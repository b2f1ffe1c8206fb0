import { FailedPreconditionError, InvalidArgumentError } from '@aimass/errors';
import { createPruner, createSampler, parameterImportance, type Pruner, type Sampler } from '@aimass/tuning';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { parseStudySpec } from '../dtos/study-spec.dto.js';
import { StudyStoreRepository } from '../repositories/study-store.repository.js';
import { TunerEventsRepository } from '../repositories/tuner-events.repository.js';
import { completionEvent, justEnded, settle } from '../studies/study-lifecycle.js';
import { trialRecords, type StudyRecord, type StudyState } from '../studies/study-record.js';

/** At most 100 characters, so a trial's job id (`<study>-t<n>-a<attempt>`) fits the trainer's 128. */
const STUDY_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const STATES: readonly StudyState[] = ['RUNNING', 'COMPLETED', 'STOPPED'];

/** Studies as a whole: create, read, stop, importance. Trials are TrialService's. */
@Injectable()
export class StudyService {
  private readonly logger = new Logger(StudyService.name);
  private readonly samplers = new Map<string, Sampler>();
  private readonly pruners = new Map<string, Pruner>();

  constructor(
    private readonly store: StudyStoreRepository,
    private readonly events: TunerEventsRepository,
  ) {}

  async create(request: { spec_json: string; study_id: string }): Promise<StudyRecord> {
    const spec = parseStudySpec(request.spec_json);
    if (request.study_id !== '' && !STUDY_ID.test(request.study_id))
      throw new InvalidArgumentError(
        `study_id: "${request.study_id}" may contain only letters, digits, '-' and '_' (at most 100)`,
      );
    const studyId =
      request.study_id ||
      `${spec.name.slice(0, 60).replace(/[^A-Za-z0-9_-]/g, '-')}-${randomUUID().slice(0, 8)}`;
    const existing = await this.store.find(studyId);
    if (existing) return existing;
    const now = new Date().toISOString();
    const record: StudyRecord = {
      study_id: studyId,
      spec,
      mode: spec.template ? 'training' : 'ask-tell',
      state: 'RUNNING',
      trials: [],
      created_at: now,
      updated_at: now,
    };
    await this.store.create(record);
    await this.announce(() =>
      this.events.publish('tuner.study.created', {
        study_id: studyId,
        name: spec.name,
        mode: record.mode,
        direction: spec.direction,
        metric: spec.metric,
        sampler: spec.sampler.type,
        pruner: spec.pruner.type,
        max_trials: spec.budget.trials ?? 0,
        parallelism: spec.parallelism,
      }),
    );
    return record;
  }

  /**
   * The study; an ask/tell study is marked complete first when its wall-time budget ran out with
   * nothing running (a training study is finished by TrainingTrialsService, which moves its alias).
   */
  async get(request: { study_id: string }): Promise<StudyRecord> {
    const study = await this.store.get(requireId(request.study_id));
    return study.mode === 'ask-tell' && study.state === 'RUNNING' && settle(study, new Date()) !== study
      ? this.settle(study.study_id)
      : study;
  }

  async list(request: { state: string }): Promise<StudyRecord[]> {
    if (request.state !== '' && !STATES.includes(request.state as StudyState))
      throw new InvalidArgumentError(`state: must be one of ${STATES.join(', ')} (or empty for all)`);
    const studies = await this.store.list();
    return request.state === '' ? studies : studies.filter((s) => s.state === request.state);
  }

  async stop(request: { study_id: string }): Promise<StudyRecord> {
    const { before, after } = await this.store.update(requireId(request.study_id), (s) =>
      s.state === 'RUNNING' ? stopped(s, new Date()) : undefined,
    );
    if (justEnded(before, after))
      await this.announce(() => this.events.publish('tuner.study.completed', completionEvent(after)));
    return after;
  }

  async importance(request: {
    study_id: string;
  }): Promise<{ importances: [string, number][]; trials: number }> {
    const study = await this.store.get(requireId(request.study_id));
    const records = trialRecords(study);
    const complete = records.filter((t) => t.state === 'complete').length;
    if (complete < 2)
      throw new FailedPreconditionError(
        `study ${study.study_id} has ${complete} complete trial(s); importance needs at least 2`,
      );
    const shares = parameterImportance(study.spec.space, records, study.spec.direction, { seed: 0 });
    return { importances: Object.entries(shares).sort((a, b) => b[1] - a[1]), trials: complete };
  }

  /** Marks the study complete if it is done, announcing it once; returns the study as stored. */
  async settle(studyId: string): Promise<StudyRecord> {
    const { before, after } = await this.store.update(studyId, (s) => {
      const next = settle(s, new Date());
      return next === s ? undefined : next;
    });
    if (justEnded(before, after))
      await this.announce(() => this.events.publish('tuner.study.completed', completionEvent(after)));
    return after;
  }

  /** The sampler of a study; samplers are pure functions of the study, so caching one is safe. */
  samplerOf(study: StudyRecord): Sampler {
    let sampler = this.samplers.get(study.study_id);
    if (!sampler) this.samplers.set(study.study_id, (sampler = createSampler(study.spec.sampler)));
    return sampler;
  }

  prunerOf(study: StudyRecord): Pruner {
    let pruner = this.pruners.get(study.study_id);
    if (!pruner) this.pruners.set(study.study_id, (pruner = createPruner(study.spec.pruner)));
    return pruner;
  }

  /**
   * Events follow a committed change. A failed publish is logged, not thrown: the caller's change is
   * stored, and failing the call would make a client retry an Ask that already took a trial.
   */
  async announce(publish: () => Promise<void>): Promise<void> {
    try {
      await publish();
    } catch (err) {
      this.logger.warn(`could not publish a tuner event: ${(err as Error).message}`);
    }
  }
}

/**
 * The study STOPPED. A training study's running trials end FAILED and their jobs are cancelled (by
 * TrainingTrialsService); an ask/tell study's running trials may still be told.
 */
function stopped(study: StudyRecord, now: Date): StudyRecord {
  const trials =
    study.mode === 'training'
      ? study.trials.map((t) =>
          t.state === 'running'
            ? {
                ...t,
                state: 'failed' as const,
                reason: 'the study was stopped',
                ended_at: now.toISOString(),
                cancel_job: true,
              }
            : t,
        )
      : study.trials;
  return { ...study, state: 'STOPPED', reason: 'stopped by StopStudy', trials };
}

export function requireId(studyId: string): string {
  if (studyId === '') throw new InvalidArgumentError('study_id: required');
  return studyId;
}
