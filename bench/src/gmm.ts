// `npm run bench -- gmm [--rows N] [--repeats R]`: aimass's EM (libs/gmm fitGmm) against
// scikit-learn's GaussianMixture on the same data in the same run. Both start from the same
// parameters (aimass's k-means init, handed to scikit-learn as weights_init / means_init /
// precisions_init), use the same tol, max_iter and reg_covar, and only the fit is timed.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GmmInitialParams, fitGmm, kmeansInitialParams, meanLogLikelihood } from '@aimass/gmm';
import { SeededRandom } from '@aimass/random';
import { makeScratchDir } from '@aimass/testing';
import { baselinePython, type Benchmark, positiveInt, printTable } from './benchmark.js';

const DIMS = 16;
const COMPONENTS = 8;
const TOL = 1e-3;
const MAX_ITER = 100;
const REG_COVAR = 1e-6;
const SEED = 7;

const PYTHON_FIT = `
import json, sys, time
import numpy as np
from sklearn.mixture import GaussianMixture
d = sys.argv[1]
repeats = int(sys.argv[2])
x = np.load(d + '/x.npy')
w, m, p = np.load(d + '/weights.npy'), np.load(d + '/means.npy'), np.load(d + '/precisions.npy')
times = []
for _ in range(repeats):
    g = GaussianMixture(n_components=w.shape[0], covariance_type='full', tol=${TOL}, max_iter=${MAX_ITER},
                        reg_covar=${REG_COVAR}, n_init=1, weights_init=w, means_init=m, precisions_init=p)
    t = time.perf_counter()
    g.fit(x)
    times.append(time.perf_counter() - t)
print(json.dumps({'times': times, 'iterations': int(g.n_iter_), 'converged': bool(g.converged_),
                  'lower_bound': float(g.lower_bound_), 'mean_ll': float(g.score(x)),
                  'sklearn': __import__('sklearn').__version__, 'numpy': np.__version__}))
`;

interface SklearnResult {
  times: number[];
  iterations: number;
  converged: boolean;
  lower_bound: number;
  mean_ll: number;
  sklearn: string;
  numpy: string;
}

const bench: Benchmark = {
  description: 'GMM EM (full covariance) vs scikit-learn GaussianMixture',
  options: { rows: { type: 'string' }, repeats: { type: 'string' } },
  async run(args) {
    const rows = positiveInt(args, 'rows', 50_000);
    const repeats = positiveInt(args, 'repeats', 3);
    const python = baselinePython('sklearn, numpy', 'python3-sklearn', 'gmm', 'scikit-learn');
    const data = syntheticMixture(rows, SEED);
    const options = {
      components: COMPONENTS,
      covariance: 'full' as const,
      tol: TOL,
      maxIter: MAX_ITER,
      regCovar: REG_COVAR,
      seed: SEED,
    };
    const init = kmeansInitialParams(data, rows, DIMS, options);

    const dir = makeScratchDir('bench-gmm');
    writeNpy(join(dir, 'x.npy'), data, [rows, DIMS]);
    writeNpy(join(dir, 'weights.npy'), init.weights, [COMPONENTS]);
    writeNpy(join(dir, 'means.npy'), init.means, [COMPONENTS, DIMS]);
    writeNpy(join(dir, 'precisions.npy'), precisionsOf(init), [COMPONENTS, DIMS, DIMS]);

    // OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE can be set on this host and slow numpy down; they are
    // dropped for the scikit-learn process only, so it runs with OpenBLAS's own defaults.
    const env = { ...process.env };
    const dropped = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].filter((k) => env[k] !== undefined);
    for (const k of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) delete env[k];
    if (dropped.length > 0)
      process.stdout.write(`note: unset ${dropped.join(' and ')} for the scikit-learn process\n`);

    process.stdout.write(
      `gmm: ${rows} rows × ${DIMS} dims, ${COMPONENTS} full-covariance components, tol ${TOL}, max_iter ${MAX_ITER}, ` +
        `reg_covar ${REG_COVAR}, same initial parameters on both sides, best of ${repeats} alternating rounds\n`,
    );

    // The two sides alternate, one fit each per round, so a burst of load from other processes
    // on a shared machine hits both rather than one; the best round of each is compared.
    const aimassTimes: number[] = [];
    const skTimes: number[] = [];
    let sk: SklearnResult | undefined;
    let model = fitGmm(data, rows, DIMS, { ...options, initialParams: init }); // warms the JIT
    for (let r = 0; r < repeats; r++) {
      sk = JSON.parse(
        execFileSync(python, ['-c', PYTHON_FIT, dir, '1'], { env, encoding: 'utf8', maxBuffer: 1 << 20 }),
      ) as SklearnResult;
      skTimes.push(...sk.times);
      const t = performance.now();
      model = fitGmm(data, rows, DIMS, { ...options, initialParams: init });
      aimassTimes.push((performance.now() - t) / 1000);
    }
    if (sk === undefined) throw new Error('no scikit-learn round ran');
    const aimassLl = meanLogLikelihood(model, data, rows);
    const aimassTime = Math.min(...aimassTimes);
    const skTime = Math.min(...skTimes);

    printTable(
      [
        'implementation',
        'fit s (best)',
        'iterations',
        'ms/iteration',
        'converged',
        'lower bound',
        'mean log-lik',
      ],
      [
        [
          'aimass fitGmm (node)',
          aimassTime,
          model.iterations,
          (aimassTime * 1000) / model.iterations,
          String(model.converged),
          model.lowerBound,
          aimassLl,
        ],
        [
          `scikit-learn ${sk.sklearn} (numpy ${sk.numpy})`,
          skTime,
          sk.iterations,
          (skTime * 1000) / sk.iterations,
          String(sk.converged),
          sk.lower_bound,
          sk.mean_ll,
        ],
      ],
    );
    const llRelDiff = Math.abs(aimassLl - sk.mean_ll) / Math.abs(sk.mean_ll);
    process.stdout.write(
      `mean log-likelihood: aimass ${aimassLl.toPrecision(12)}, scikit-learn ${sk.mean_ll.toPrecision(12)} (relative difference ${llRelDiff.toExponential(2)}); ` +
        `all fit times s: aimass ${aimassTimes.map((t) => t.toFixed(3)).join(' ')}, scikit-learn ${skTimes.map((t) => t.toFixed(3)).join(' ')}\n`,
    );
    return { time_vs_sklearn: aimassTime / skTime, ll_rel_diff: llRelDiff };
  },
};
export default bench;

/**
 * Eight Gaussian clusters in 16 dims with random full covariances, close enough together that
 * EM needs a few dozen iterations (well-separated clusters converge in two or three and the
 * comparison would time the bookkeeping, not the EM).
 */
function syntheticMixture(rows: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const random = (): number => rng.next();
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: COMPONENTS }, () =>
    Float64Array.from({ length: DIMS }, () => gauss() * 0.5),
  );
  const mixing = Array.from({ length: COMPONENTS }, () =>
    Float64Array.from({ length: DIMS * DIMS }, () => gauss() * 0.35),
  );
  const weights = Array.from({ length: COMPONENTS }, (_, k) => 1 + k / COMPONENTS);
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float64Array(rows * DIMS);
  const z = new Float64Array(DIMS);
  for (let n = 0; n < rows; n++) {
    let u = random() * total;
    let k = 0;
    while (k < COMPONENTS - 1 && u >= weights[k]!) u -= weights[k++]!;
    for (let j = 0; j < DIMS; j++) z[j] = gauss();
    const c = centres[k]!;
    const a = mixing[k]!;
    for (let i = 0; i < DIMS; i++) {
      let s = c[i]!;
      for (let j = 0; j < DIMS; j++) s += z[j]! * a[j * DIMS + i]!;
      out[n * DIMS + i] = s;
    }
  }
  return out;
}

/** Inverse of each covariance block (scikit-learn's precisions_init), by Gauss-Jordan elimination in float64. */
function precisionsOf(init: GmmInitialParams): Float64Array {
  const out = new Float64Array(COMPONENTS * DIMS * DIMS);
  const a = new Float64Array(DIMS * 2 * DIMS);
  const w = 2 * DIMS;
  for (let k = 0; k < COMPONENTS; k++) {
    a.fill(0);
    for (let i = 0; i < DIMS; i++) {
      for (let j = 0; j < DIMS; j++) a[i * w + j] = init.covariances[k * DIMS * DIMS + i * DIMS + j]!;
      a[i * w + DIMS + i] = 1;
    }
    for (let c = 0; c < DIMS; c++) {
      let pivot = c;
      for (let r = c + 1; r < DIMS; r++) if (Math.abs(a[r * w + c]!) > Math.abs(a[pivot * w + c]!)) pivot = r;
      for (let j = 0; j < w; j++) [a[c * w + j], a[pivot * w + j]] = [a[pivot * w + j]!, a[c * w + j]!];
      const p = a[c * w + c]!;
      for (let j = 0; j < w; j++) a[c * w + j] = a[c * w + j]! / p;
      for (let r = 0; r < DIMS; r++) {
        if (r === c) continue;
        const f = a[r * w + c]!;
        if (f !== 0) for (let j = 0; j < w; j++) a[r * w + j] = a[r * w + j]! - f * a[c * w + j]!;
      }
    }
    for (let i = 0; i < DIMS; i++)
      for (let j = 0; j < DIMS; j++) out[k * DIMS * DIMS + i * DIMS + j] = a[i * w + DIMS + j]!;
  }
  return out;
}

/** A little-endian float64 .npy file (format 1.0). */
function writeNpy(path: string, values: Float64Array, shape: number[]): void {
  const dict = `{'descr': '<f8', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(
    path,
    Buffer.concat([
      head,
      Buffer.from(header, 'latin1'),
      Buffer.from(values.buffer, values.byteOffset, values.byteLength),
    ]),
  );
}
