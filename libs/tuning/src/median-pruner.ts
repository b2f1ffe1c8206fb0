import { othersAt, type Pruner, type PrunerContext } from './pruner.js';
import { score } from './trial.js';

export interface MedianPrunerOptions {
  /** Prune nothing at a step until this many other trials have reported there (Optuna: 5). */
  readonly nStartupTrials?: number;
  /** Prune nothing before this step (Optuna: 0). */
  readonly nWarmupSteps?: number;
  /** Decide only every this many steps after the warm-up (Optuna: 1). */
  readonly intervalSteps?: number;
}

/**
 * Stops a trial whose best value so far is worse than the median of the values other trials reported
 * at the same step, as Optuna's MedianPruner, except that its start-up counts trials that reported at
 * that step rather than complete trials (see Pruner for why).
 */
export class MedianPruner implements Pruner {
  readonly name = 'median';
  private readonly nStartup: number;
  private readonly nWarmup: number;
  private readonly interval: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.nStartup = options.nStartupTrials ?? 5;
    this.nWarmup = options.nWarmupSteps ?? 0;
    this.interval = options.intervalSteps ?? 1;
  }

  shouldPrune(context: PrunerContext): boolean {
    const { step, trial, direction } = context;
    if (step < this.nWarmup || (step - this.nWarmup) % this.interval !== 0) return false;
    const others = othersAt(context, step);
    if (others.length < this.nStartup || others.length === 0) return false;
    let best = Infinity;
    for (const [s, v] of Object.entries(trial.intermediate ?? {}))
      if (Number(s) <= step && Number.isFinite(v)) best = Math.min(best, score(direction, v));
    if (best === Infinity) return false;
    const sorted = others.sort((a, b) => a - b);
    const mid = sorted.length / 2;
    const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return best > median;
  }
}
