import {
  score,
  type Direction,
  type Params,
  type PrunerSpec,
  type SamplerSpec,
  type SearchSpace,
  type TrialRecord,
  type TrialState,
} from '@aimass/tuning';

/** A validated study spec (dtos/study-spec.dto.ts checks the JSON and fills in the defaults). */
export interface StudySpec {
  readonly name: string;
  readonly direction: Direction;
  readonly metric: string;
  readonly space: SearchSpace;
  readonly sampler: SamplerSpec;
  readonly pruner: PrunerSpec;
  readonly budget: { readonly trials?: number | undefined; readonly seconds?: number | undefined };
  readonly parallelism: number;
  readonly template?: Readonly<Record<string, unknown>> | undefined;
  readonly alias?: string | undefined;
  readonly retries: number;
}

export type StudyState = 'RUNNING' | 'COMPLETED' | 'STOPPED';
export type StudyMode = 'ask-tell' | 'training';

/** One trial as the study record keeps it. */
export interface TrialEntry {
  readonly number: number;
  readonly state: TrialState;
  readonly params: Params;
  readonly value?: number;
  /** Reports by step; JSON keys, so strings. */
  readonly intermediate: Readonly<Record<string, number>>;
  /** The step whose report pruned it. */
  readonly pruned_at?: number;
  readonly reason?: string;
  readonly started_at: string;
  readonly ended_at?: string;
  readonly sampler_ms: number;
  /** Training trials: attempts started so far (1 for the first), the job of the latest, its result. */
  readonly attempts: number;
  readonly job_id?: string;
  /** The trainer accepted `job_id`; until then the tuner (re)submits it (SubmitJob is idempotent by id). */
  readonly submitted?: boolean;
  /** Pruned, or ended by StopStudy: its job must stop; `cancelled` once the trainer was asked to. */
  readonly cancel_job?: boolean;
  readonly cancelled?: boolean;
  readonly model?: string;
  readonly version?: number;
}

/**
 * A study and all its trials, stored as one KV value: every change (a new trial, a report, an end) is
 * one compare-and-set of the whole study, so a trial number is handed out exactly once and no two
 * writers ever see a half-made change, whichever tuner process or call made it.
 */
export interface StudyRecord {
  readonly study_id: string;
  readonly spec: StudySpec;
  readonly mode: StudyMode;
  readonly state: StudyState;
  readonly trials: readonly TrialEntry[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly reason?: string;
  /** Training studies: the version the study's alias was moved to when it completed. */
  readonly aliased?: { readonly model: string; readonly version: number };
}

export interface StudyCounts {
  readonly running: number;
  readonly complete: number;
  readonly pruned: number;
  readonly failed: number;
}

export function countTrials(study: StudyRecord): StudyCounts {
  const c = { running: 0, complete: 0, pruned: 0, failed: 0 };
  for (const t of study.trials) c[t.state]++;
  return c;
}

/** The complete trial with the best value (the earliest among equals). */
export function bestTrial(study: StudyRecord): TrialEntry | undefined {
  let best: TrialEntry | undefined;
  for (const t of study.trials)
    if (t.state === 'complete' && t.value !== undefined && Number.isFinite(t.value))
      if (!best || score(study.spec.direction, t.value) < score(study.spec.direction, best.value!)) best = t;
  return best;
}

/** Why no new trial may start now, or undefined when one may. */
export function budgetProblem(study: StudyRecord, now: Date): string | undefined {
  if (study.state !== 'RUNNING') return `study ${study.study_id} is ${study.state}`;
  const { trials, seconds } = study.spec.budget;
  if (trials !== undefined && study.trials.length >= trials)
    return `study ${study.study_id} has started all ${trials} trials of its budget`;
  if (seconds !== undefined && now.getTime() >= Date.parse(study.created_at) + seconds * 1000)
    return `study ${study.study_id} has used its ${seconds} s of wall time`;
  return undefined;
}

/** A running study whose budget is spent and whose trials have all ended: it is complete. */
export function isDone(study: StudyRecord, now: Date): boolean {
  return (
    study.state === 'RUNNING' &&
    budgetProblem(study, now) !== undefined &&
    study.trials.every((t) => t.state !== 'running')
  );
}

/** The trials as samplers and pruners see them. */
export function trialRecords(study: StudyRecord): TrialRecord[] {
  return study.trials.map((t) => ({
    number: t.number,
    state: t.state,
    params: t.params,
    ...(t.value !== undefined ? { value: t.value } : {}),
    intermediate: Object.fromEntries(Object.entries(t.intermediate).map(([k, v]) => [Number(k), v])),
  }));
}
