import { score, type Direction, type TrialRecord } from './trial.js';

/** What a pruner is given when `trial` has just reported a value at `step`. */
export interface PrunerContext {
  readonly direction: Direction;
  /** The reporting trial, its report at `step` included in `intermediate`. */
  readonly trial: TrialRecord;
  readonly step: number;
  /** Every trial of the study (the reporting one may be among them; it is skipped by number). */
  readonly trials: readonly TrialRecord[];
}

/**
 * Whether a trial should stop after its report at a step.
 *
 * The rule every pruner here follows, so that pruning does not change with the number of workers:
 * a decision at step s depends only on the trial's own reports and on the values other trials have
 * reported at step s (for ASHA and Hyperband: at the rung s), taken as a set. It does not depend on
 * whether those trials are running, complete or pruned, on their numbers, on the order their reports
 * arrived, nor on their reports at other steps. In particular nothing waits for trials to *complete*:
 * Optuna's median pruner counts complete trials before it prunes, so with many workers and none
 * finished yet it prunes nothing, and with one worker it prunes from the sixth trial on. Here a report
 * at a step counts as soon as it is made, whoever made it. Failed trials' reports are ignored.
 */
export interface Pruner {
  readonly name: string;
  shouldPrune(context: PrunerContext): boolean;
}

/** Reports other trials made at `step`, as scores (lower is better). */
export function othersAt(
  context: PrunerContext,
  step: number,
  include: (t: TrialRecord) => boolean = () => true,
): number[] {
  const out: number[] = [];
  for (const t of context.trials) {
    if (t.number === context.trial.number || t.state === 'failed' || !include(t)) continue;
    const v = t.intermediate?.[step];
    if (v !== undefined && Number.isFinite(v)) out.push(score(context.direction, v));
  }
  return out;
}

/** The trial's own report at `step` as a score; NaN when it made none. */
export function ownAt(context: PrunerContext, step: number): number {
  const v = context.trial.intermediate?.[step];
  return v === undefined ? NaN : score(context.direction, v);
}

/** Never prunes. */
export class NopPruner implements Pruner {
  readonly name = 'none';
  shouldPrune(): boolean {
    return false;
  }
}
