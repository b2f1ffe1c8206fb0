import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, ksTwoSamplePValue } from './kolmogorov.js';

// Debian's python3-scipy; /usr/bin/python3 because a python3 earlier on PATH may lack it.
function scipy(script: string, input: unknown): number[] {
  const out = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input) });
  return JSON.parse(out.toString()) as number[];
}

describe('Kolmogorov distribution (against SciPy)', () => {
  // Sizes cover every branch SciPy takes: Ruben-Gambino ends, Durbin matrix, Pelz-Good, Smirnov.
  const cases: Array<[number, number]> = [];
  for (const n of [1, 5, 40, 140, 141, 170, 833, 5000])
    for (const x of [0.001, 0.004, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 0.95])
      cases.push([n, x]);

  it('kstwo.sf matches scipy.stats.kstwo.sf within 1e-9', () => {
    const expected = scipy(
      'import json,sys\nfrom scipy.stats import kstwo\nprint(json.dumps([float(kstwo.sf(x,n)) for n,x in json.load(sys.stdin)]))',
      cases,
    );
    const diffs = cases.map(([n, x], i) => Math.abs(kolmogorovSf(n, x) - (expected[i] as number)));
    expect(Math.max(...diffs)).toBeLessThan(1e-9);
  });

  it('the two-sample p-value matches ks_2samp(method="asymp") on real samples', () => {
    const sizes: Array<[number, number, number]> = [
      [5000, 1000, 0],
      [5000, 1000, 0.15],
      [5000, 176, 0.3],
      [300, 200, 0.5],
    ];
    const got = scipy(
      `import json,sys
import numpy as np
from scipy.stats import ks_2samp
rng=np.random.default_rng(7)
out=[]
for n1,n2,shift in json.load(sys.stdin):
    r=ks_2samp(rng.normal(size=n1), rng.normal(loc=shift,size=n2), method='asymp')
    out += [float(r.statistic), float(r.pvalue)]
print(json.dumps(out))`,
      sizes,
    );
    sizes.forEach(([n1, n2], i) => {
      const d = got[2 * i] as number;
      expect(Math.abs(ksTwoSamplePValue(d, n1, n2) - (got[2 * i + 1] as number))).toBeLessThan(1e-9);
    });
  });
});
