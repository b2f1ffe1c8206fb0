import type { Params } from './space.js';

export type Direction = 'minimize' | 'maximize';
/** running: asked and not yet told; its parameters are known, its value is not. */
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

/** What samplers and pruners see of a trial. Plain data, so the service can keep it in its store. */
export interface TrialRecord {
  readonly number: number;
  readonly state: TrialState;
  readonly params: Params;
  /** The objective, for a complete trial. */
  readonly value?: number;
  /** Intermediate values by step (epoch, resource), as reported. */
  readonly intermediate?: Readonly<Record<number, number>>;
}

/** The objective turned into "lower is better". */
export function score(direction: Direction, value: number): number {
  return direction === 'minimize' ? value : -value;
}

/** Complete trials with a finite value. */
export function completed(trials: readonly TrialRecord[]): TrialRecord[] {
  return trials.filter((t) => t.state === 'complete' && t.value !== undefined && Number.isFinite(t.value));
}
