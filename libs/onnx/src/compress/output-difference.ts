/** How far a compressed model's output lies from its source's, relative to the source's scale. */
export interface OutputDifference {
  /** max |a − b| / max |b|. */
  readonly maxRelative: number;
  /** mean |a − b| / mean |b|. */
  readonly meanRelative: number;
}

/**
 * Scale-relative rather than element-relative: an AE's reconstruction has many outputs near zero,
 * where an element-wise ratio would blow up on rounding noise that nobody would notice.
 */
export function outputDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): OutputDifference {
  if (actual.length !== expected.length)
    throw new RangeError(`outputs differ in length: ${actual.length} vs ${expected.length}`);
  let maxDiff = 0;
  let sumDiff = 0;
  let maxRef = 0;
  let sumRef = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const ref = Math.abs(expected[i]);
    maxDiff = Math.max(maxDiff, diff);
    sumDiff += diff;
    maxRef = Math.max(maxRef, ref);
    sumRef += ref;
  }
  return {
    maxRelative: maxRef > 0 ? maxDiff / maxRef : maxDiff,
    meanRelative: sumRef > 0 ? sumDiff / sumRef : sumDiff / Math.max(actual.length, 1),
  };
}
