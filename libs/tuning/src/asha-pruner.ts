import { othersAt, ownAt, type Pruner, type PrunerContext } from './pruner.js';
import type { TrialRecord } from './trial.js';

export interface AshaOptions {
  /** The first rung's step (Optuna: 1). */
  readonly minResource?: number;
  /** η: a rung keeps the best 1/η of the trials that reached it (Optuna: 3). */
  readonly reductionFactor?: number;
  /** Skip the first rungs: rung k sits at minResource · η^(k + this) (Optuna: 0). */
  readonly minEarlyStoppingRate?: number;
  /** No rung at or beyond this step, when set: a trial that got there runs to its end. */
  readonly maxResource?: number;
}

/**
 * Asynchronous successive halving (Li et al., 2018) with Optuna's promotion rule: at a rung, a trial
 * goes on only if its value ranks within the best ⌊n/η⌋ of the n values reported at that rung so far,
 * its own included (the best one when ⌊n/η⌋ is 0). Steps between rungs never prune. Only reports at
 * the rung count (see Pruner): trials are compared at equal resource, whatever else is running.
 */
export class AshaPruner implements Pruner {
  readonly name: string = 'asha';
  readonly minResource: number;
  readonly eta: number;
  private readonly rate: number;
  private readonly maxResource: number;

  constructor(
    options: AshaOptions = {},
    /** Which trials compete with the reporting one (Hyperband: those of its bracket). */
    private readonly competes: (t: TrialRecord) => boolean = () => true,
  ) {
    this.minResource = options.minResource ?? 1;
    this.eta = options.reductionFactor ?? 3;
    this.rate = options.minEarlyStoppingRate ?? 0;
    this.maxResource = options.maxResource ?? Infinity;
    if (!(this.minResource > 0))
      throw new RangeError(`asha: minResource must be positive, got ${this.minResource}`);
    if (!(this.eta >= 2)) throw new RangeError(`asha: reductionFactor must be at least 2, got ${this.eta}`);
  }

  /** The rung steps below `limit`. */
  rungs(limit = this.maxResource): number[] {
    const out: number[] = [];
    for (let k = this.rate; ; k++) {
      const r = this.minResource * this.eta ** k;
      if (r >= limit || out.length > 64) return out;
      out.push(r);
    }
  }

  shouldPrune(context: PrunerContext): boolean {
    const { step } = context;
    if (step >= this.maxResource || !this.isRung(step)) return false;
    const own = ownAt(context, step);
    if (!Number.isFinite(own)) return false;
    const values = [...othersAt(context, step, this.competes), own].sort((a, b) => a - b);
    const keep = Math.max(1, Math.floor(values.length / this.eta));
    // Ties keep the trial: its value equals the last promotable one.
    return own > values[keep - 1]!;
  }

  private isRung(step: number): boolean {
    if (step < this.minResource) return false;
    const k = Math.log(step / this.minResource) / Math.log(this.eta);
    const rk = Math.round(k);
    return rk >= this.rate && Math.abs(this.minResource * this.eta ** rk - step) < 1e-9 * step;
  }
}
