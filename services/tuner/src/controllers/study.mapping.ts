import type { tunerv1 } from '@aimass/contracts';
import { bestTrial, countTrials, type StudyRecord, type TrialEntry } from '../studies/study-record.js';

export function toTrialMessage(t: TrialEntry): tunerv1.Trial {
  return {
    number: t.number,
    state: t.state.toUpperCase(),
    params_json: JSON.stringify(t.params),
    value: t.value ?? 0,
    has_value: t.value !== undefined,
    intermediate: Object.fromEntries(Object.entries(t.intermediate).map(([k, v]) => [Number(k), v])),
    job_id: t.job_id ?? '',
    attempts: t.attempts,
    model: t.model ?? '',
    version: t.version ?? 0,
    reason: t.reason ?? '',
    started_at: t.started_at,
    ended_at: t.ended_at ?? '',
    sampler_ms: t.sampler_ms,
  };
}

/** A study; its trials only when asked for (ListStudies leaves them out). */
export function toStudyMessage(s: StudyRecord, withTrials = true): tunerv1.Study {
  const counts = countTrials(s);
  const best = bestTrial(s);
  return {
    study_id: s.study_id,
    name: s.spec.name,
    state: s.state,
    direction: s.spec.direction,
    metric: s.spec.metric,
    sampler: s.spec.sampler.type,
    pruner: s.spec.pruner.type,
    spec_json: JSON.stringify(s.spec),
    trials_started: s.trials.length,
    max_trials: s.spec.budget.trials ?? 0,
    ...counts,
    ...(best ? { best_trial: toTrialMessage(best) } : {}),
    has_best: best !== undefined,
    trials: withTrials ? s.trials.map(toTrialMessage) : [],
    created_at: s.created_at,
    updated_at: s.updated_at,
    reason: s.reason ?? '',
    mode: s.mode,
  };
}
