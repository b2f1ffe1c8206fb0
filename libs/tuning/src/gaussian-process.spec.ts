import { describe, expect, it } from 'vitest';
import { fitKernel, GaussianProcess, negLogPosterior, pairDiffs } from './gaussian-process.js';
import { seededRng } from './rng.js';

const rng = seededRng(1);
const xs = Array.from({ length: 30 }, () => Float64Array.from({ length: 3 }, () => rng()));
// The third dimension does not matter.
const ys = Float64Array.from(xs, (x) => Math.sin(5 * x[0]!) + 2 * x[1]! ** 2);

describe('GaussianProcess', () => {
  it('has the analytic gradient of its marginal likelihood', () => {
    const diffs = pairDiffs(xs);
    const z = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.4]);
    const { grad } = negLogPosterior(xs.length, diffs, ys, z);
    for (let i = 0; i < z.length; i++) {
      const plus = Float64Array.from(z);
      const minus = Float64Array.from(z);
      plus[i]! += 1e-6;
      minus[i]! -= 1e-6;
      const numeric =
        (negLogPosterior(xs.length, diffs, ys, plus).value -
          negLogPosterior(xs.length, diffs, ys, minus).value) /
        2e-6;
      expect(grad[i]).toBeCloseTo(numeric, 4);
    }
  });

  it('fits a long lengthscale to an irrelevant dimension and predicts held-out points', () => {
    const kernel = fitKernel(xs, ys, seededRng(2));
    expect(kernel.lengthscales[2]).toBeGreaterThan(2 * kernel.lengthscales[0]!);
    const gp = GaussianProcess.fit(xs, ys, kernel)!;
    const x = Float64Array.from([0.3, 0.6, 0.9]);
    const p = gp.predict(x, true);
    expect(p.mean).toBeCloseTo(Math.sin(1.5) + 2 * 0.36, 1);
    // The analytic input gradient of the mean agrees with a finite difference.
    const h = Float64Array.from(x);
    h[0]! += 1e-6;
    expect(p.dMean![0]).toBeCloseTo((gp.predict(h).mean - p.mean) / 1e-6, 3);
  });
});
