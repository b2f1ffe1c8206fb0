import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { anomalyRateTest } from './anomaly-rate.js';

// Debian's python3-scipy; /usr/bin/python3 because a python3 earlier on PATH may lack it.
function scipySf(cases: Array<[number, number, number]>): number[] {
  const out = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      'import json,sys\nfrom scipy.stats import binom\nprint(json.dumps([float(binom.sf(k-1,n,p)) for n,k,p in json.load(sys.stdin)]))',
    ],
    { input: JSON.stringify(cases) },
  );
  return JSON.parse(out.toString()) as number[];
}

describe('anomalyRateTest', () => {
  it('the p-value is P(X >= k) of Binomial(n, p), as scipy.stats.binom.sf(k - 1) says, to 1e-9 relative', () => {
    const cases: Array<[number, number, number]> = [];
    for (const [n, p] of [
      [10, 0.01],
      [100, 0.01],
      [1000, 0.01],
      [1000, 0.05],
      [5000, 0.001],
      [20_000, 0.01],
    ] as const)
      for (const share of [0.001, 0.5, 1, 1.5, 2, 3, 10, 50])
        cases.push([n, Math.min(n, Math.max(1, Math.round(n * p * share))), p]);
    const expected = scipySf(cases);
    cases.forEach(([n, k, p], i) => {
      const want = expected[i] as number;
      const got = anomalyRateTest(n, k, p, 0.01).pValue;
      expect(Math.abs(got - want), `n=${n} k=${k} p=${p}: ${got} vs ${want}`).toBeLessThanOrEqual(
        1e-9 * want + 1e-300,
      );
    });
  });

  it.each([
    // n, flagged, expected rate, significance, exceeded
    [1000, 0, 0.01, 0.01, false],
    [1000, 10, 0.01, 0.01, false], // exactly the expected rate
    [1000, 17, 0.01, 0.01, false], // P(X >= 17) ≈ 0.027
    [1000, 19, 0.01, 0.01, true], // P(X >= 19) ≈ 0.0069
    [1000, 300, 0.01, 0.01, true],
    [50, 2, 0.01, 0.01, false], // a small window needs more than a 4 % rate
    [50, 4, 0.01, 0.01, true],
  ])('n=%i flagged=%i rate=%f at %f: exceeded=%s', (n, k, p, alpha, exceeded) => {
    const t = anomalyRateTest(n, k, p, alpha);
    expect(t.exceeded).toBe(exceeded);
    expect(t.observedRate).toBe(k / n);
  });

  it('a tail far below 1e-16 keeps its precision (1 − CDF would read 0)', () => {
    const [want] = scipySf([[1000, 60, 0.01]]);
    const got = anomalyRateTest(1000, 60, 0.01, 0.01).pValue;
    expect(got).toBeGreaterThan(0);
    expect(Math.abs(got - want!) / want!).toBeLessThan(1e-8);
  });

  it.each([
    [0, 0, 0.01, /scored/],
    [10, -1, 0.01, /anomalous/],
    [10, 11, 0.01, /anomalous/],
    [10, 1.5, 0.01, /whole/],
    [10, 1, 0, /expectedRate/],
    [10, 1, 1, /expectedRate/],
  ])('refuses n=%s k=%s rate=%s', (n, k, p, message) => {
    expect(() => anomalyRateTest(n, k, p, 0.01)).toThrow(message);
  });
});
