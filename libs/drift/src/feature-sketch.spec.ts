import { describe, expect, it } from 'vitest';
import { FeatureSketch } from './feature-sketch.js';

describe('FeatureSketch.histogram', () => {
  it('counts values between the edges, with the ones outside apart', () => {
    const s = new FeatureSketch();
    // 0.5, 1.5, …: 10 values per unit bin from -3 to 3, plus 4 below and 6 above.
    for (let b = -3; b < 3; b++) for (let k = 0; k < 10; k++) s.accept(b + 0.05 + k * 0.09);
    for (let k = 0; k < 4; k++) s.accept(-10 - k);
    for (let k = 0; k < 6; k++) s.accept(10 + k);
    const h = s.histogram([-3, -2, -1, 0, 1, 2, 3]);
    expect(h.counts).toEqual([10, 10, 10, 10, 10, 10]);
    expect(h.below).toBe(4);
    expect(h.above).toBe(6);
  });

  it('puts zeros in the bin holding 0 and the last edge in the last bin', () => {
    const s = new FeatureSketch();
    for (let k = 0; k < 5; k++) s.accept(0);
    s.accept(2);
    expect(s.histogram([-1, 1, 2])).toEqual({ counts: [5, 1], below: 0, above: 0 });
  });

  it('without edges everything is below', () => {
    const s = new FeatureSketch();
    s.accept(1);
    expect(s.histogram([])).toEqual({ counts: [], below: 1, above: 0 });
  });
});
