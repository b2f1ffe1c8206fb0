import { describe, expect, it } from 'vitest';
import {
  aic,
  bic,
  fitGmm,
  GmmError,
  type GmmFitOptions,
  gmmParameterCount,
  kmeansInitialParams,
  meanLogLikelihood,
  predictProba,
  scoreSamples,
} from './index.js';
import { type GmmModel, isFullLayout } from './gmm-model.js';
import { syntheticMixture } from './synthetic-mixture.js';

const SEPARATED_MEANS = [
  [0, 0, 0],
  [8, 0, 1],
  [0, 9, -2],
  [7, 8, 6],
];

/** log N(x | μ, Σ) straight from the definition, inverting Σ by Gauss-Jordan: independent of the Cholesky path. */
function naiveLogDensity(x: number[], mean: number[], cov: number[][]): number {
  const d = x.length;
  const a = cov.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let det = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    if (p !== c) {
      [a[c], a[p]] = [a[p]!, a[c]!];
      det = -det;
    }
    const pivot = a[c]![c]!;
    det *= pivot;
    a[c] = a[c]!.map((v) => v / pivot);
    for (let r = 0; r < d; r++) if (r !== c) a[r] = a[r]!.map((v, j) => v - a[r]![c]! * a[c]![j]!);
  }
  const inv = a.map((row) => row.slice(d));
  const diff = x.map((v, i) => v - mean[i]!);
  const maha = diff.reduce((s, di, i) => s + di * inv[i]!.reduce((t, v, j) => t + v * diff[j]!, 0), 0);
  return -0.5 * (d * Math.log(2 * Math.PI) + Math.log(det) + maha);
}

function covarianceOf(model: GmmModel, k: number): number[][] {
  const d = model.dims;
  return Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => {
      if (isFullLayout(model.covariance)) return model.covariances[k * d * d + i * d + j]!;
      return i === j ? model.covariances[k * d + i]! : 0;
    }),
  );
}

describe('fitGmm', () => {
  describe.each(['full', 'tied', 'diag', 'spherical'] as const)('%s covariance', (covariance) => {
    const sample = syntheticMixture(3000, SEPARATED_MEANS, {
      seed: 11,
      axisAligned: !isFullLayout(covariance),
      weights: [1, 2, 3, 2],
    });

    it('recovers the means and weights of a known mixture', () => {
      const model = fitGmm(sample.data, sample.rows, sample.dims, { components: 4, covariance, seed: 3 });
      expect(model.converged).toBe(true);
      const errors = matchedMeanErrors(SEPARATED_MEANS, model.means);
      for (const e of errors) expect(e).toBeLessThan(0.15);
      const sorted = Array.from(model.weights).sort();
      [0.125, 0.25, 0.25, 0.375].forEach((w, i) => expect(Math.abs(sorted[i]! - w)).toBeLessThan(0.03));
    });

    it('scores samples as the log of the weighted sum of component densities', () => {
      const model = fitGmm(sample.data, sample.rows, sample.dims, { components: 4, covariance, seed: 3 });
      const rows = 25;
      const scores = scoreSamples(model, sample.data.subarray(0, rows * 3), rows);
      const proba = predictProba(model, sample.data.subarray(0, rows * 3), rows);
      for (let n = 0; n < rows; n++) {
        const x = Array.from(sample.data.subarray(n * 3, n * 3 + 3));
        const logs = Array.from(
          { length: 4 },
          (_, k) =>
            Math.log(model.weights[k]!) +
            naiveLogDensity(x, Array.from(model.means.subarray(k * 3, k * 3 + 3)), covarianceOf(model, k)),
        );
        const max = Math.max(...logs);
        const ll = max + Math.log(logs.reduce((s, v) => s + Math.exp(v - max), 0));
        expect(scores[n]).toBeCloseTo(ll, 9);
        logs.forEach((v, k) => expect(proba[n * 4 + k]).toBeCloseTo(Math.exp(v - ll), 9));
      }
    });

    it('never lowers the log-likelihood from one EM iteration to the next', () => {
      const bounds: number[] = [];
      fitGmm(sample.data, sample.rows, sample.dims, {
        components: 4,
        covariance,
        seed: 5,
        init: 'kmeans++',
        tol: 0,
        maxIter: 30,
        onIteration: (p) => bounds.push(p.lowerBound),
      });
      expect(bounds).toHaveLength(30);
      for (let i = 1; i < bounds.length; i++)
        expect(bounds[i]!).toBeGreaterThanOrEqual(bounds[i - 1]! - 1e-9);
    });
  });

  it('shares one covariance across components when tied, and one variance across features when spherical', () => {
    const sample = syntheticMixture(2000, SEPARATED_MEANS, { seed: 2, spread: 2 });
    // Run to a tight convergence, so the responsibilities the check recomputes are the ones the last M-step used.
    const tied = fitGmm(sample.data, sample.rows, 3, {
      components: 4,
      covariance: 'tied',
      seed: 1,
      tol: 1e-12,
      maxIter: 1000,
    });
    const blocks = [0, 1, 2, 3].map((k) => Array.from(tied.covariances.subarray(k * 9, k * 9 + 9)));
    for (const b of blocks.slice(1)) expect(b).toEqual(blocks[0]);
    // scikit-learn's tied covariance is Σ_k N_k Σ_k / N: the weighted scatter around each row's own mean.
    const proba = predictProba(tied, sample.data, sample.rows);
    const scatter = new Float64Array(9);
    for (let n = 0; n < sample.rows; n++)
      for (let k = 0; k < 4; k++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++)
            scatter[i * 3 + j] =
              scatter[i * 3 + j]! +
              proba[n * 4 + k]! *
                (sample.data[n * 3 + i]! - tied.means[k * 3 + i]!) *
                (sample.data[n * 3 + j]! - tied.means[k * 3 + j]!);
    scatter.forEach((v, i) =>
      expect(Math.abs(blocks[0]![i]! - v / sample.rows)).toBeLessThan(
        0.01 * Math.abs(v / sample.rows) + 1e-3,
      ),
    );

    const spherical = fitGmm(sample.data, sample.rows, 3, {
      components: 4,
      covariance: 'spherical',
      seed: 1,
    });
    expect(spherical.covariances).toHaveLength(4 * 3);
    for (let k = 0; k < 4; k++) {
      const v = spherical.covariances.subarray(k * 3, k * 3 + 3);
      expect(v[1]).toBe(v[0]);
      expect(v[2]).toBe(v[0]);
    }
    // Fewer free parameters fit worse on correlated clusters: full ≥ tied, diag ≥ spherical.
    const full = fitGmm(sample.data, sample.rows, 3, { components: 4, covariance: 'full', seed: 1 });
    const diag = fitGmm(sample.data, sample.rows, 3, { components: 4, covariance: 'diag', seed: 1 });
    expect(full.lowerBound).toBeGreaterThan(tied.lowerBound);
    expect(diag.lowerBound).toBeGreaterThan(spherical.lowerBound);
    expect([full, tied, diag, spherical].map(gmmParameterCount)).toEqual([
      4 * 6 + 12 + 3,
      6 + 12 + 3,
      4 * 3 + 12 + 3,
      4 + 12 + 3,
    ]);
  });

  it("starts from random responsibilities with init 'random', deterministically for a seed", () => {
    const sample = syntheticMixture(1500, SEPARATED_MEANS, { seed: 4 });
    const fit = () =>
      fitGmm(sample.data, sample.rows, 3, { components: 4, init: 'random', seed: 9, nInit: 2 });
    const a = fit();
    expect(a.means).toEqual(fit().means);
    expect(a.lowerBound).toBeGreaterThan(-20);
    const kmeans = fitGmm(sample.data, sample.rows, 3, { components: 4, seed: 9, maxIter: 1, tol: 0 });
    const random = fitGmm(sample.data, sample.rows, 3, {
      components: 4,
      init: 'random',
      seed: 9,
      maxIter: 1,
      tol: 0,
    });
    // Random responsibilities start every component near the global mean; k-means starts them apart.
    expect(kmeans.lowerBound).toBeGreaterThan(random.lowerBound);
  });

  it('fits correlated clusters better with full covariance than with diag', () => {
    const sample = syntheticMixture(2000, SEPARATED_MEANS, { seed: 2, spread: 2 });
    const full = fitGmm(sample.data, sample.rows, 3, { components: 4, covariance: 'full', seed: 1 });
    const diag = fitGmm(sample.data, sample.rows, 3, { components: 4, covariance: 'diag', seed: 1 });
    expect(full.covariances).toHaveLength(4 * 9);
    expect(diag.covariances).toHaveLength(4 * 3);
    expect(full.lowerBound).toBeGreaterThan(diag.lowerBound + 0.05);
    expect(bic(full, sample.data, sample.rows)).toBeLessThan(bic(diag, sample.data, sample.rows));
  });

  it('keeps the best of several initialisations', () => {
    // Many overlapping components and bare k-means++ seeds: different starts end in different optima.
    const means = Array.from({ length: 6 }, (_, k) => [Math.cos(k), Math.sin(k), k % 2]);
    const sample = syntheticMixture(1500, means, { seed: 9, spread: 0.8 });
    const options: GmmFitOptions = { components: 6, seed: 4, init: 'kmeans++', maxIter: 15 };
    const many = fitGmm(sample.data, sample.rows, 3, { ...options, nInit: 5 });
    expect(many.initLowerBounds).toHaveLength(5);
    expect(new Set(many.initLowerBounds).size).toBeGreaterThan(1);
    expect(many.lowerBound).toBe(Math.max(...many.initLowerBounds));
    expect(many.initLowerBounds[many.bestInit]).toBe(many.lowerBound);
    // The first initialisation draws the same seeds as a single-init fit with the same seed.
    const one = fitGmm(sample.data, sample.rows, 3, { ...options, nInit: 1 });
    expect(one.lowerBound).toBe(many.initLowerBounds[0]);
    expect(many.lowerBound).toBeGreaterThanOrEqual(one.lowerBound);
    if (many.bestInit !== 0) expect(many.lowerBound).toBeGreaterThan(one.lowerBound);
    // The model returned is the winner's, not the last one's.
    expect(meanLogLikelihood(many, sample.data, sample.rows)).toBeGreaterThanOrEqual(
      meanLogLikelihood(one, sample.data, sample.rows) - 1e-3,
    );
  });

  it('is deterministic for a seed and starts where kmeansInitialParams says', () => {
    const sample = syntheticMixture(1200, SEPARATED_MEANS, { seed: 21 });
    const options: GmmFitOptions = { components: 4, seed: 77, nInit: 2 };
    const a = fitGmm(sample.data, sample.rows, 3, options);
    const b = fitGmm(sample.data, sample.rows, 3, options);
    expect(b).toEqual(a);
    const single = { components: 4, seed: 77 };
    const fromInit = fitGmm(sample.data, sample.rows, 3, {
      ...single,
      initialParams: kmeansInitialParams(sample.data, sample.rows, 3, single),
    });
    const direct = fitGmm(sample.data, sample.rows, 3, single);
    expect(fromInit.means).toEqual(direct.means);
    expect(fromInit.lowerBound).toBe(direct.lowerBound);
  });

  it('accepts Float32Array data', () => {
    const sample = syntheticMixture(800, SEPARATED_MEANS, { seed: 4 });
    const model = fitGmm(Float32Array.from(sample.data), sample.rows, 3, { components: 4, seed: 1 });
    for (const e of matchedMeanErrors(SEPARATED_MEANS, model.means)) expect(e).toBeLessThan(0.3);
  });

  it('ranks the true number of components best by BIC, and computes BIC and AIC from the likelihood', () => {
    const sample = syntheticMixture(2000, SEPARATED_MEANS, { seed: 8 });
    const fits = [1, 2, 3, 4, 5, 6].map((k) =>
      fitGmm(sample.data, sample.rows, 3, { components: k, seed: 1, nInit: 2 }),
    );
    const bics = fits.map((m) => bic(m, sample.data, sample.rows));
    expect(bics.indexOf(Math.min(...bics)) + 1).toBe(4);
    const m = fits[3]!;
    const total = meanLogLikelihood(m, sample.data, sample.rows) * sample.rows;
    expect(gmmParameterCount(m)).toBe(4 * 6 + 4 * 3 + 3);
    expect(bic(m, sample.data, sample.rows)).toBeCloseTo(-2 * total + 39 * Math.log(2000), 6);
    expect(aic(m, sample.data, sample.rows)).toBeCloseTo(-2 * total + 2 * 39, 6);
    expect(gmmParameterCount({ covariance: 'diag', components: 4, dims: 3 })).toBe(4 * 3 + 4 * 3 + 3);
  });

  describe('refuses what it cannot fit, saying what to change', () => {
    const good = syntheticMixture(50, SEPARATED_MEANS, { seed: 1 }).data;
    const withNaN = Float64Array.from(good);
    withNaN[7] = Number.NaN;
    const withInf = Float64Array.from(good);
    withInf[31] = Infinity;
    const constantRows = new Float64Array(60).fill(2);
    const cases: [string, Float64Array, number, number, GmmFitOptions, string, RegExp][] = [
      [
        'NaN in the data',
        withNaN,
        50,
        3,
        { components: 2 },
        'non_finite_data',
        /non-finite value \(NaN\) at row 2, column 1/,
      ],
      ['Infinity in the data', withInf, 50, 3, { components: 2 }, 'non_finite_data', /row 10, column 1/],
      [
        'rows of the wrong width',
        good,
        49,
        3,
        { components: 2 },
        'invalid_shape',
        /150 values but 49 rows × 3 columns need 147/,
      ],
      [
        'zero rows',
        new Float64Array(0),
        0,
        3,
        { components: 1 },
        'invalid_shape',
        /rows must be a positive integer/,
      ],
      [
        'fewer rows than components',
        good.subarray(0, 9),
        3,
        3,
        { components: 4 },
        'too_few_rows',
        /4 components need at least 4 rows, got 3/,
      ],
      [
        'fewer distinct rows than components',
        constantRows,
        20,
        3,
        { components: 2 },
        'too_few_distinct_rows',
        /only 1 distinct row\(s\) but 2 components/,
      ],
      [
        'zero components',
        good,
        50,
        3,
        { components: 0 },
        'invalid_option',
        /components must be a positive integer, got 0/,
      ],
      [
        'fractional components',
        good,
        50,
        3,
        { components: 2.5 },
        'invalid_option',
        /components must be a positive integer/,
      ],
      [
        'an unknown covariance type',
        good,
        50,
        3,
        { components: 2, covariance: 'isotropic' as 'full' },
        'invalid_option',
        /covariance must be one of full, tied, diag, spherical, got isotropic/,
      ],
      [
        'nInit 0',
        good,
        50,
        3,
        { components: 2, nInit: 0 },
        'invalid_option',
        /nInit must be a positive integer/,
      ],
      [
        'maxIter -1',
        good,
        50,
        3,
        { components: 2, maxIter: -1 },
        'invalid_option',
        /maxIter must be a positive integer/,
      ],
      [
        'negative tol',
        good,
        50,
        3,
        { components: 2, tol: -1 },
        'invalid_option',
        /tol must be a finite number ≥ 0/,
      ],
      [
        'NaN regCovar',
        good,
        50,
        3,
        { components: 2, regCovar: Number.NaN },
        'invalid_option',
        /regCovar must be a finite number ≥ 0/,
      ],
      [
        'an unknown init',
        good,
        50,
        3,
        { components: 2, init: 'random_from_data' as 'kmeans' },
        'invalid_option',
        /init must be 'kmeans', 'kmeans\+\+', 'random', got random_from_data/,
      ],
      [
        'initial params of the wrong size',
        good,
        50,
        3,
        {
          components: 2,
          initialParams: {
            weights: Float64Array.of(0.5, 0.5),
            means: new Float64Array(5),
            covariances: new Float64Array(18),
          },
        },
        'invalid_option',
        /initialParams.means must be a Float64Array of 6 values/,
      ],
      [
        'initial params with several initialisations',
        good,
        50,
        3,
        {
          components: 2,
          nInit: 2,
          initialParams: {
            weights: Float64Array.of(0.5, 0.5),
            means: new Float64Array(6),
            covariances: new Float64Array(18),
          },
        },
        'invalid_option',
        /nInit must be 1 when initialParams fixes the start/,
      ],
    ];
    it.each(cases)('%s', (_name, data, rows, cols, options, reason, message) => {
      let thrown: unknown;
      try {
        fitGmm(data, rows, cols, options);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GmmError);
      expect((thrown as GmmError).reason).toBe(reason);
      expect((thrown as GmmError).message).toMatch(message);
    });

    it('a collapsed component without regularisation', () => {
      // The third column is constant, so without regCovar every covariance is singular.
      const data = Float64Array.from(good);
      for (let n = 0; n < 50; n++) data[n * 3 + 2] = 1;
      expect(() => fitGmm(data, 50, 3, { components: 2, regCovar: 0 })).toThrow(
        /not positive definite.*increase regCovar/,
      );
      expect(() => fitGmm(data, 50, 3, { components: 2 })).not.toThrow();
    });

    it('scoring data whose width does not match the model', () => {
      const model = fitGmm(good, 50, 3, { components: 2 });
      expect(() => scoreSamples(model, good.subarray(0, 100), 50)).toThrow(
        /100 values but 50 rows × 3 columns need 150/,
      );
      expect(() => predictProba({ ...model, weights: new Float64Array(3) }, good, 50)).toThrow(
        /weights must be a Float64Array of 2 values/,
      );
    });
  });
});

/** For each true mean, the distance to the fitted mean it is matched with (optimal over all permutations). */
export function matchedMeanErrors(trueMeans: number[][], fitted: Float64Array): number[] {
  const k = trueMeans.length;
  const d = trueMeans[0]!.length;
  const dist = (a: number, b: number): number =>
    Math.hypot(...trueMeans[a]!.map((v, j) => v - fitted[b * d + j]!));
  let best: number[] = [];
  let bestCost = Infinity;
  const permute = (prefix: number[], rest: number[]): void => {
    if (rest.length === 0) {
      const errors = prefix.map((f, t) => dist(t, f));
      const cost = errors.reduce((s, e) => s + e, 0);
      if (cost < bestCost) {
        bestCost = cost;
        best = errors;
      }
      return;
    }
    rest.forEach((r, i) => permute([...prefix, r], [...rest.slice(0, i), ...rest.slice(i + 1)]));
  };
  permute(
    [],
    Array.from({ length: k }, (_, i) => i),
  );
  return best;
}
