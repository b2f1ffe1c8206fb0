import type { Params, SearchSpace } from './space.js';
import type { Direction, TrialRecord } from './trial.js';

/** What a sampler is given to choose the parameters of trial `number`. */
export interface SamplerContext {
  readonly space: SearchSpace;
  readonly direction: Direction;
  /** Every trial of the study so far, finished or running (running ones have no value yet). */
  readonly trials: readonly TrialRecord[];
  /** The number of the trial being asked for; it seeds the choice. */
  readonly number: number;
}

/**
 * A sampler is a pure function of (seed, space, direction, trials, number): asking twice with the same
 * context returns the same parameters, whatever was asked before. That is what lets a restarted tuner
 * replay a study, and it is why samplers keep at most caches, never state that changes an answer.
 */
export interface Sampler {
  readonly name: string;
  ask(context: SamplerContext): Params;
}
