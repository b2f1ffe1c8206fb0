import { describe, expect, it } from 'vitest';
import { columnStatistics, columnSummaries, QUANTILE_LEVELS } from './statistics.js';

describe('reference quantiles', () => {
  it('are numpy.quantile (linear) of each column at 0, 0.01, ..., 1', () => {
    // Columns 5,1,4,2,3 and 10..50: numpy.quantile([1,2,3,4,5], 0.25) = 2, 0.37 = 2.48.
    const values = Float32Array.from([5, 10, 1, 20, 4, 30, 2, 40, 3, 50]);
    const stats = columnStatistics(values, 5, 2);
    expect(QUANTILE_LEVELS).toHaveLength(101);
    expect(stats.quantiles[0]![0]).toBe(1);
    expect(stats.quantiles[0]![25]).toBeCloseTo(2, 12);
    expect(stats.quantiles[0]![37]).toBeCloseTo(2.48, 12);
    expect(stats.quantiles[0]![100]).toBe(5);
    expect(stats.quantiles[1]![50]).toBe(30);
    const [summary] = columnSummaries(stats, ['a', 'b']);
    expect(summary!.quantiles[37]).toEqual({ q: 0.37, value: stats.quantiles[0]![37] });
  });
});
