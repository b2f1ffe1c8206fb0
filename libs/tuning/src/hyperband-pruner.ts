import { AshaPruner } from './asha-pruner.js';
import type { Pruner, PrunerContext } from './pruner.js';
import { rngFor } from './rng.js';

export interface HyperbandOptions {
  readonly minResource?: number;
  /** The step at which a trial ends (its epochs); required to lay out the brackets. */
  readonly maxResource: number;
  readonly reductionFactor?: number;
  /** Seeds the assignment of trials to brackets. */
  readonly seed?: number;
}

/**
 * Hyperband (Li et al., 2017) as brackets of ASHA, the way Optuna's HyperbandPruner runs it: bracket b
 * starts pruning at minResource · η^b, so bracket 0 is the most aggressive and the last never prunes
 * early. A trial's bracket is a function of its number and the seed, weighted by each bracket's share of
 * trials in the original algorithm; trials only compete within their bracket, at the same rung.
 */
export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  readonly brackets: AshaPruner[];
  private readonly weights: number[];
  private readonly seed: number;

  constructor(options: HyperbandOptions) {
    const minResource = options.minResource ?? 1;
    const eta = options.reductionFactor ?? 3;
    if (!(options.maxResource > minResource))
      throw new RangeError(
        `hyperband: maxResource (${options.maxResource}) must exceed minResource (${minResource})`,
      );
    this.seed = options.seed ?? 0;
    const sMax = Math.floor(Math.log(options.maxResource / minResource) / Math.log(eta) + 1e-9);
    const n = sMax + 1;
    this.weights = Array.from({ length: n }, (_, b) => Math.ceil((n / (n - b)) * eta ** (sMax - b)));
    this.brackets = Array.from(
      { length: n },
      (_, b) =>
        new AshaPruner(
          { minResource, reductionFactor: eta, minEarlyStoppingRate: b, maxResource: options.maxResource },
          (t) => this.bracketOf(t.number) === b,
        ),
    );
  }

  /** The bracket a trial number belongs to. */
  bracketOf(number: number): number {
    const total = this.weights.reduce((a, b) => a + b, 0);
    let u = rngFor(this.seed, number, 'hyperband')() * total;
    for (let b = 0; b < this.weights.length; b++) if ((u -= this.weights[b]!) < 0) return b;
    return this.weights.length - 1;
  }

  shouldPrune(context: PrunerContext): boolean {
    return this.brackets[this.bracketOf(context.trial.number)]!.shouldPrune(context);
  }
}
