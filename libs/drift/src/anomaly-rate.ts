import betainc from '@stdlib/math-base-special-betainc';

/** The outcome of testing one window's flagged rows against the detector's expected rate. */
export interface AnomalyRateTest {
  readonly observedRate: number;
  /** P(X ≥ anomalous) for X ~ Binomial(scored, expectedRate): how surprising this many flags are. */
  readonly pValue: number;
  /** True when pValue < significance: the rate is significantly above the expected one. */
  readonly exceeded: boolean;
}

/**
 * One-sided binomial test of a window's anomaly rate. A detector thresholded at the p-th percentile
 * of its training rows' scores flags a share 1 − p/100 of in-distribution rows; more flags than
 * that, by more than chance allows at `significance`, means the live inputs are not what it was
 * trained on. The upper tail is the regularised incomplete beta function I_q(k, n − k + 1), which
 * keeps its precision far below the 1e-16 that 1 − CDF would lose.
 */
export function anomalyRateTest(
  scored: number,
  anomalous: number,
  expectedRate: number,
  significance: number,
): AnomalyRateTest {
  if (!(Number.isInteger(scored) && scored > 0 && Number.isInteger(anomalous)))
    throw new RangeError(`scored must be a positive whole number and anomalous a whole number`);
  if (anomalous < 0 || anomalous > scored)
    throw new RangeError(`anomalous (${anomalous}) must lie in [0, scored=${scored}]`);
  if (!(expectedRate > 0 && expectedRate < 1))
    throw new RangeError(`expectedRate (${expectedRate}) must lie in (0, 1)`);
  const pValue = anomalous === 0 ? 1 : betainc(expectedRate, anomalous, scored - anomalous + 1);
  return { observedRate: anomalous / scored, pValue, exceeded: pValue < significance };
}
