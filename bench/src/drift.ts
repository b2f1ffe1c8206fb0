// npm run bench -- drift [--windows 300] [--reps 20]
// Drift detection on the statistics the monitor uses (libs/drift) against SciPy (Debian python3-scipy)
// in the same run: 20 features, a reference of 5,000 i.i.d. N(0,1) rows, tumbling windows of 1,000
// rows. No-drift streams, i.i.d. and AR(1) with rho = 0.7, give the false-alarm rate per window; a
// shift of 0.25, 0.5 or 1 sigma in one feature from the first window on gives the detection delay
// (windows until the first alarm, 1 = the first window; runs without an alarm in MAX_WINDOWS count as
// MAX_WINDOWS + 1). Each window is folded into sketches by two "inference processes" (halves of the
// window), shipped as JSON and merged, as in the mesh. SciPy runs ks_2samp on the raw rows with the
// same dataset rule but no autocorrelation correction, and kstwo.sf checks aimass's p-value function.
import { columnStatistics, columnSummaries } from '@aimass/datasets';
import {
  datasetDrift,
  InputSketch,
  ksEffectiveSize,
  ReferenceDistribution,
  type DriftThresholds,
} from '@aimass/drift';
import { SeededRandom } from '@aimass/random';
import { makeScratchDir } from '@aimass/testing';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselinePython, positiveInt, printTable, type Benchmark } from './benchmark.js';

const FEATURES = 20;
const REFERENCE_ROWS = 5000;
const WINDOW_ROWS = 1000;
const MAX_WINDOWS = 5;
const RHO = 0.7;
const SHIFTS = [0.25, 0.5, 1];
/** The monitor's defaults (README settings table). */
const THRESHOLDS: DriftThresholds = { pValue: 0.05, driftShare: 0.5, psi: 0.1, wasserstein: 0.1 };
const SCRIPT = fileURLToPath(new URL('../python/drift.py', import.meta.url));

/** Standard normal rows, i.i.d. or AR(1) per feature with unit marginal variance. */
class Stream {
  private readonly state = new Float64Array(FEATURES);
  private spare: number | undefined;

  constructor(
    private readonly rng: SeededRandom,
    private readonly rho: number,
  ) {
    for (let f = 0; f < FEATURES; f++) this.state[f] = this.normal();
  }

  private normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.rng.next();
    const v = this.rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** `rows` rows, row-major, float32-rounded as inference sees them, with `shift` added to feature 0. */
  rows(rows: number, shift = 0): Float32Array {
    const out = new Float32Array(rows * FEATURES);
    const innovation = Math.sqrt(1 - this.rho * this.rho);
    for (let r = 0; r < rows; r++)
      for (let f = 0; f < FEATURES; f++) {
        const x = this.rho * (this.state[f] as number) + innovation * this.normal();
        this.state[f] = x;
        out[r * FEATURES + f] = x + (f === 0 ? shift : 0);
      }
    return out;
  }
}

interface Window {
  readonly kind: string;
  readonly run: number;
  readonly index: number;
  readonly rows: Float32Array;
}

function detect(references: readonly ReferenceDistribution[], rows: Float32Array) {
  // Two processes each sketch half the window; the monitor merges what they publish.
  const half = WINDOW_ROWS / 2;
  const a = new InputSketch(FEATURES);
  const b = new InputSketch(FEATURES);
  a.foldRows(rows.subarray(0, half * FEATURES), half, FEATURES);
  b.foldRows(rows.subarray(half * FEATURES), half, FEATURES);
  const merged = InputSketch.fromWire(JSON.parse(JSON.stringify(a.toWire())));
  merged.merge(InputSketch.fromWire(JSON.parse(JSON.stringify(b.toWire()))));
  return datasetDrift(references, merged, THRESHOLDS);
}

function scipyRule(ps: readonly number[]): boolean {
  const share = ps.filter((p) => p < THRESHOLDS.pValue).length / ps.length;
  return ps.some((p) => p < THRESHOLDS.pValue / ps.length) || share >= THRESHOLDS.driftShare;
}

const bench: Benchmark = {
  description: 'drift detection (PSI, KS, Wasserstein on sketches) against SciPy',
  options: { windows: { type: 'string' }, reps: { type: 'string' } },
  async run(options) {
    const noDriftWindows = positiveInt(options, 'windows', 300);
    const reps = positiveInt(options, 'reps', 20);
    const python = baselinePython('scipy, numpy', 'python3-scipy', 'drift', 'SciPy');
    const rng = new SeededRandom(13);
    const reference = new Stream(rng, 0).rows(REFERENCE_ROWS);
    const summaries = columnSummaries(
      columnStatistics(reference, REFERENCE_ROWS, FEATURES),
      Array.from({ length: FEATURES }, (_, f) => `f${f}`),
    );
    const references = summaries.map((s) => new ReferenceDistribution(s));

    const windows: Window[] = [];
    for (const [kind, rho] of [
      ['iid', 0],
      ['ar1', RHO],
    ] as const) {
      const stream = new Stream(rng, rho);
      for (let i = 0; i < noDriftWindows; i++)
        windows.push({ kind: `${kind} no drift`, run: 0, index: i, rows: stream.rows(WINDOW_ROWS) });
      for (const shift of SHIFTS)
        for (let run = 0; run < reps; run++) {
          const s = new Stream(rng, rho);
          for (let i = 0; i < MAX_WINDOWS; i++)
            windows.push({ kind: `${kind} shift ${shift}`, run, index: i, rows: s.rows(WINDOW_ROWS, shift) });
        }
    }

    const started = performance.now();
    const ours = windows.map((w) => detect(references, w.rows));
    const msPerWindow = (performance.now() - started) / windows.length;

    const dir = makeScratchDir('aimass-drift-bench-');
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ features: FEATURES, window_rows: WINDOW_ROWS }));
    writeFileSync(join(dir, 'reference.f64'), Float64Array.from(reference));
    const all = new Float64Array(windows.length * WINDOW_ROWS * FEATURES);
    windows.forEach((w, i) => all.set(w.rows, i * WINDOW_ROWS * FEATURES));
    writeFileSync(join(dir, 'windows.f64'), all);
    writeFileSync(
      join(dir, 'aimass.json'),
      JSON.stringify(
        ours.map((o) =>
          o.features.map((f) => [f.ks_statistic, ksEffectiveSize(REFERENCE_ROWS, f.effective_rows)]),
        ),
      ),
    );
    const scipyStarted = performance.now();
    execFileSync(python, [SCRIPT, dir], { stdio: 'inherit' });
    const scipyMsPerWindow = (performance.now() - scipyStarted) / windows.length;
    const scipy = JSON.parse(readFileSync(join(dir, 'scipy.json'), 'utf8')) as {
      statistic: number[][];
      p: number[][];
      p_of_aimass: number[][];
    };

    let pDiff = 0;
    let statDiffIid = 0;
    ours.forEach((o, w) =>
      o.features.forEach((f, j) => {
        pDiff = Math.max(pDiff, Math.abs(f.ks_p_value - scipy.p_of_aimass[w]![j]!));
        if (windows[w]!.kind === 'iid no drift')
          statDiffIid = Math.max(statDiffIid, Math.abs(f.ks_statistic - scipy.statistic[w]![j]!));
      }),
    );

    const rows: (string | number)[][] = [];
    const result: Record<string, number> = {};
    const cases = [...new Set(windows.map((w) => w.kind))];
    for (const kind of cases) {
      const idx = windows.flatMap((w, i) => (w.kind === kind ? [i] : []));
      const alarm = (i: number) => ours[i]!.drifted;
      const scipyAlarm = (i: number) => scipyRule(scipy.p[i]!);
      if (kind.endsWith('no drift')) {
        const rate = (f: (i: number) => boolean) => idx.filter(f).length / idx.length;
        rows.push([kind, idx.length, rate(alarm), rate(scipyAlarm), '', '']);
        result[kind] = rate(alarm);
      } else {
        const delays = (f: (i: number) => boolean) =>
          Array.from({ length: reps }, (_, run) => {
            const first = idx.find((i) => windows[i]!.run === run && f(i));
            return first === undefined ? MAX_WINDOWS + 1 : windows[first]!.index + 1;
          });
        const ourDelays = delays(alarm);
        const scipyDelays = delays(scipyAlarm);
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        rows.push([
          kind,
          idx.length,
          `delay mean ${mean(ourDelays).toFixed(2)} max ${Math.max(...ourDelays)}`,
          `delay mean ${mean(scipyDelays).toFixed(2)} max ${Math.max(...scipyDelays)}`,
          '',
          '',
        ]);
        result[kind] = Math.max(...ourDelays);
      }
    }
    printTable(['case', 'windows', 'aimass (false alarms / delay)', 'SciPy ks_2samp, no ESS', '', ''], rows);
    process.stdout.write(
      `aimass ${msPerWindow.toFixed(1)} ms per window (sketch, merge, 3 statistics x ${FEATURES} features); ` +
        `SciPy ${scipyMsPerWindow.toFixed(1)} ms per window (raw KS x ${FEATURES} + checks)\n` +
        `KS statistic from sketches vs SciPy on raw rows, i.i.d. windows: max abs diff ${statDiffIid.toFixed(4)}\n`,
    );
    return {
      false_alarm_rate: Math.max(result['iid no drift']!, result['ar1 no drift']!),
      delay_windows_0_5sigma: Math.max(result['iid shift 0.5']!, result['ar1 shift 0.5']!),
      ks_pvalue_max_abs_diff_vs_scipy: pDiff,
      false_alarm_rate_iid: result['iid no drift']!,
      false_alarm_rate_ar1: result['ar1 no drift']!,
      delay_windows_0_25sigma: Math.max(result['iid shift 0.25']!, result['ar1 shift 0.25']!),
      delay_windows_1sigma: Math.max(result['iid shift 1']!, result['ar1 shift 1']!),
      ks_statistic_max_abs_diff_vs_scipy_raw: statDiffIid,
    };
  },
};

export default bench;
