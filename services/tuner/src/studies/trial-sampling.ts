import type { Params, Sampler } from '@aimass/tuning';
import { trialRecords, type StudyRecord } from './study-record.js';

/** How many other draws to try before accepting a repeat (a small discrete space may have no other). */
const REDRAWS = 32;
/** Redraws use trial numbers past any real one, so they never coincide with another trial's draw. */
const REDRAW_OFFSET = 1_000_003;

/**
 * The sampler's parameters for the study's next trial, redrawn while they repeat a trial already in
 * the study (running or ended): parallel workers asking at once each get a distinct point, and a
 * discrete space is not spent on repeats. Deterministic, like the sampler.
 */
export function sampleDistinct(sampler: Sampler, study: StudyRecord): Params {
  const trials = trialRecords(study);
  const seen = new Set(trials.map((t) => canonical(t.params)));
  const number = trials.length;
  let params = sampler.ask({ space: study.spec.space, direction: study.spec.direction, trials, number });
  for (let k = 1; k <= REDRAWS && seen.has(canonical(params)); k++)
    params = sampler.ask({
      space: study.spec.space,
      direction: study.spec.direction,
      trials,
      number: number + k * REDRAW_OFFSET,
    });
  return params;
}

function canonical(params: Params): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map((k) => [k, params[k]]),
  );
}
