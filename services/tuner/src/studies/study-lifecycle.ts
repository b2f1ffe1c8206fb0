import type { EventData } from '@aimass/contracts';
import { bestTrial, isDone, type StudyRecord } from './study-record.js';

/** The study marked COMPLETED when its budget is spent and no trial runs; otherwise unchanged. */
export function settle(study: StudyRecord, now: Date): StudyRecord {
  return isDone(study, now) ? { ...study, state: 'COMPLETED' } : study;
}

/** The `tuner.study.completed` event for a study that has just ended. */
export function completionEvent(study: StudyRecord): EventData<'tuner.study.completed'> {
  const best = bestTrial(study);
  return {
    study_id: study.study_id,
    state: study.state === 'STOPPED' ? 'STOPPED' : 'COMPLETED',
    trials: study.trials.length,
    ...(best ? { best_trial: best.number, best_value: best.value! } : {}),
    ...(study.aliased ? { model: study.aliased.model, version: study.aliased.version } : {}),
    ...(study.aliased && study.spec.alias ? { alias: study.spec.alias } : {}),
  };
}

/** Whether this change ended the study (so the one writer that made it announces it). */
export function justEnded(before: StudyRecord, after: StudyRecord): boolean {
  return before.state === 'RUNNING' && after.state !== 'RUNNING';
}
