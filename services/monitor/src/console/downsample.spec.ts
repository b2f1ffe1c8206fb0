import { describe, expect, it } from 'vitest';
import { downsampleMinMax } from './downsample.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('downsampleMinMax', () => {
  it('returns a series that already fits unchanged', () => {
    const series = { x: [1, 2, 3], y: [5, null, 7] };
    expect(downsampleMinMax(series, 10)).toBe(series);
  });

  it('keeps every bucket minimum and maximum, in x order, within maxPoints', () => {
    const x = range(1000);
    const y = x.map((i) => Math.sin(i / 7) * 10);
    y[123] = 500; // a spike
    y[777] = -500; // a dip
    const out = downsampleMinMax({ x, y }, 100);
    expect(out.x.length).toBeLessThanOrEqual(100);
    expect(out.x.length).toBe(out.y.length);
    expect([...out.x].sort((a, b) => a - b)).toEqual(out.x);
    expect(out.y).toContain(500);
    expect(out.y).toContain(-500);
    // Each bucket of 20 points contributes exactly its own min and max.
    for (let b = 0; b < 50; b++) {
      const slice = y.slice(b * 20, b * 20 + 20);
      const kept = out.x.filter((v) => v >= b * 20 && v < b * 20 + 20).map((i) => y[i]);
      expect(Math.min(...(kept as number[]))).toBe(Math.min(...slice));
      expect(Math.max(...(kept as number[]))).toBe(Math.max(...slice));
    }
  });

  it('keeps the min before the max when the min comes first, and one point for a flat bucket', () => {
    const out = downsampleMinMax({ x: range(8), y: [3, 1, 9, 4, 2, 2, 2, 2] }, 4);
    expect(out).toEqual({ x: [1, 2, 4], y: [1, 9, 2] });
  });

  it('skips missing values and leaves one gap for an all-missing bucket', () => {
    const out = downsampleMinMax({ x: range(6), y: [null, 4, null, null, null, null] }, 4);
    expect(out).toEqual({ x: [1, 3], y: [4, null] });
  });

  it.each([
    ['maxPoints below 2', { x: [1, 2, 3], y: [1, 2, 3] }, 1, 'maxPoints must be an integer of at least 2'],
    ['fractional maxPoints', { x: [1, 2, 3], y: [1, 2, 3] }, 2.5, 'maxPoints must be an integer'],
    ['x and y of different lengths', { x: [1, 2], y: [1] }, 10, 'x has 2 points but y has 1'],
  ])('refuses %s', (_, series, maxPoints, message) => {
    expect(() => downsampleMinMax(series, maxPoints)).toThrow(message);
  });
});
