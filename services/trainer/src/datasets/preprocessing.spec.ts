import type { Dataset } from '@aimass/datasets';
import { describe, expect, it } from 'vitest';
import { percentileOfSorted, prepare } from './preprocessing.js';

// Column 0: 1..9 and one far outlier; column 1: constant; column 2: constant but for one row.
function dataset(): Dataset {
  const rows = 10;
  const values = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    values[r * 3] = r === 9 ? 1000 : r + 1;
    values[r * 3 + 1] = 7;
    values[r * 3 + 2] = r === 4 ? 1 : 0;
  }
  return { rows, features: 3, values, digest: 'test', description: 'test' };
}

const column = (x: Float32Array, f: number) => Array.from({ length: x.length / 3 }, (_, r) => x[r * 3 + f]!);

describe('prepare: scaling', () => {
  it('robust: centres on the median and divides by the IQR, so one outlier barely moves the rest', () => {
    const data = prepare(dataset(), { scaling: 'robust', validationSplit: 0, seed: 1 });
    // Column 0 sorted: 1..9, 1000. Median 5.5; 25th 3.25, 75th 7.75 (numpy's interpolation): IQR 4.5.
    expect(data.scaling.offset[0]).toBeCloseTo(5.5, 6);
    expect(data.scaling.scale[0]).toBeCloseTo(1 / 4.5, 6);
    const scaled = column(data.train, 0).sort((a, b) => a - b);
    expect(scaled[0]).toBeCloseTo((1 - 5.5) / 4.5, 5);
    expect(scaled[8]).toBeCloseTo((9 - 5.5) / 4.5, 5);
    // A constant column is centred only; an IQR of 0 with some spread falls back to the std.
    expect(data.scaling.offset[1]).toBe(7);
    expect(data.scaling.scale[1]).toBe(1);
    expect(column(data.train, 1).every((v) => v === 0)).toBe(true);
    expect(data.scaling.offset[2]).toBe(0);
    expect(data.scaling.scale[2]).toBeCloseTo(1 / data.reference.std[2]!, 5);
  });

  it('standard (the default) centres on the mean and divides by the std; min-max squashes the inliers', () => {
    const standard = prepare(dataset(), { scaling: 'standard', validationSplit: 0, seed: 1 });
    const values = column(standard.train, 0);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0, 5);
    expect(standard.scaling.scale[0]).toBeCloseTo(1 / standard.reference.std[0]!, 6);
    const minmax = prepare(dataset(), { scaling: 'minmax', validationSplit: 0, seed: 1 });
    const inliers = column(minmax.train, 0).filter((v) => v < 0.5);
    // The outlier at 1000 puts every other value of the column within 0.01 of 0.
    expect(Math.max(...inliers)).toBeLessThan(0.01);
    const robust = prepare(dataset(), { scaling: 'robust', validationSplit: 0, seed: 1 });
    expect(Math.max(...column(robust.train, 0).filter((v) => v < 100))).toBeGreaterThan(0.5);
  });

  it('fits the scaling on the training rows only', () => {
    const all = prepare(dataset(), { scaling: 'robust', validationSplit: 0, seed: 1 });
    const split = prepare(dataset(), { scaling: 'robust', validationSplit: 0.5, seed: 1 });
    expect(split.trainRows).toBe(5);
    expect(split.scaling.offset[0]).not.toBe(all.scaling.offset[0]);
  });
});

describe('percentileOfSorted', () => {
  it.each([
    [0, 1],
    [50, 3],
    [25, 2],
    [90, 4.6],
    [100, 5],
  ])('the %sth percentile of 1..5 is %s (linear interpolation, as numpy)', (q, expected) => {
    expect(percentileOfSorted([1, 2, 3, 4, 5], q)).toBeCloseTo(expected, 10);
  });

  it('is NaN for no values', () => {
    expect(percentileOfSorted([], 50)).toBeNaN();
  });
});
