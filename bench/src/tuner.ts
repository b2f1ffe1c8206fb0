// `npm run bench -- tuner [--trials N] [--seeds S] [--functions a,b]`: aimass's samplers against
// Optuna 3.1 (Debian python3-optuna; TPE and random, default settings) on Branin, Hartmann6, a 5-D
// Rosenbrock and a 5-D Ackley, with the same budget of trials and seeds in the same run. Regret is the
// best value found minus the function's minimum; a sampler's time per trial is the time spent choosing
// parameters (Optuna: study.ask with the distributions, which samples them; aimass: Sampler.ask), as
// CPU time of the process: the benchmark machine is shared, and wall time there measures the
// neighbours. Wall time is printed beside it.
// aimass's samplers run in this process, sequentially; the issue ultimately wants them measured through
// ask/tell over gRPC against a running tuner, which is not built yet.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  GpSampler,
  RandomSampler,
  type Sampler,
  type SearchSpace,
  TpeSampler,
  type TrialRecord,
} from '@aimass/tuning';
import {
  baselinePython,
  type BenchOptions,
  type Benchmark,
  median,
  positiveInt,
  printTable,
} from './benchmark.js';
import { type TestFunction, TEST_FUNCTIONS } from './tuner/functions.js';

const AIMASS_SAMPLERS: Record<string, (seed: number) => Sampler> = {
  'aimass-random': (seed) => new RandomSampler(seed),
  'aimass-tpe': (seed) => new TpeSampler({ seed }),
  'aimass-gp': (seed) => new GpSampler({ seed }),
};
const OPTUNA_SAMPLERS = ['tpe', 'random'] as const;

interface Outcome {
  /** Best value of each seed. */
  readonly best: number[];
  /** CPU seconds per ask, over all trials of all seeds. */
  readonly askSeconds: number[];
  /** Wall-clock seconds per ask. */
  readonly askWallSeconds: number[];
}

const bench: Benchmark = {
  description: 'aimass samplers (random, TPE, GP-EI) vs Optuna 3.1 TPE and random on four test functions',
  options: { trials: { type: 'string' }, seeds: { type: 'string' }, functions: { type: 'string' } },
  async run(args: BenchOptions) {
    const trials = positiveInt(args, 'trials', 100);
    const seeds = positiveInt(args, 'seeds', 10);
    const functions = selectFunctions(args.functions);
    const python = baselinePython('optuna', 'python3-optuna', 'tuner', 'Optuna');
    const rows: (string | number)[][] = [];
    const regret: Record<string, Record<string, number>> = {};
    const askMs: Record<string, number[]> = {};
    for (const fn of functions) {
      regret[fn.name] = {};
      const outcomes: [string, Outcome][] = [];
      for (const s of OPTUNA_SAMPLERS)
        outcomes.push([`optuna-${s}`, runOptuna(python, fn, s, trials, seeds)]);
      for (const [name, make] of Object.entries(AIMASS_SAMPLERS))
        outcomes.push([name, runAimass(fn, make, trials, seeds)]);
      for (const [name, o] of outcomes) {
        const r = median(o.best.map((b) => b - fn.minimum));
        const ms = (1000 * o.askSeconds.reduce((a, b) => a + b, 0)) / o.askSeconds.length;
        const wallMs = (1000 * o.askWallSeconds.reduce((a, b) => a + b, 0)) / o.askWallSeconds.length;
        regret[fn.name]![name] = r;
        (askMs[name] ??= []).push(ms);
        rows.push([fn.name, name, r, ms, wallMs]);
        process.stderr.write(
          `${fn.name} ${name}: median regret ${r.toPrecision(4)}, ${ms.toFixed(2)} CPU ms/ask\n`,
        );
      }
    }
    process.stdout.write(
      `\n${trials} trials x ${seeds} seeds; regret = median over seeds of (best - minimum)\n`,
    );
    printTable(['function', 'sampler', 'median regret', 'CPU ms/ask', 'wall ms/ask'], rows);

    // The best aimass sampler is the one with the lowest geometric mean of regret ratios to Optuna TPE.
    const ratio = (name: string) =>
      Math.exp(
        functions.reduce(
          (s, fn) =>
            s +
            Math.log(
              Math.max(regret[fn.name]![name]!, 1e-12) / Math.max(regret[fn.name]!['optuna-tpe']!, 1e-12),
            ),
          0,
        ) / functions.length,
      );
    const meanMs = (name: string) => askMs[name]!.reduce((a, b) => a + b, 0) / askMs[name]!.length;
    const best = Object.keys(AIMASS_SAMPLERS).sort((a, b) => ratio(a) - ratio(b))[0]!;
    process.stdout.write(`\nbest aimass sampler: ${best}\n`);
    printTable(
      ['sampler', 'regret vs optuna-tpe (geo mean)', 'mean CPU ms/ask'],
      [...Object.keys(AIMASS_SAMPLERS), 'optuna-random', 'optuna-tpe'].map((n) => [n, ratio(n), meanMs(n)]),
    );
    return {
      regret_vs_optuna_tpe: ratio(best),
      ask_ms_vs_optuna: meanMs(best) / meanMs('optuna-tpe'),
      best_sampler: best,
    };
  },
};
export default bench;

function selectFunctions(given: BenchOptions[string]): TestFunction[] {
  if (given === undefined) return [...TEST_FUNCTIONS];
  const names = String(given).split(',');
  const unknown = names.filter((n) => !TEST_FUNCTIONS.some((f) => f.name === n));
  if (unknown.length > 0)
    throw new Error(
      `--functions: unknown ${unknown.join(', ')}; known: ${TEST_FUNCTIONS.map((f) => f.name).join(', ')}`,
    );
  return TEST_FUNCTIONS.filter((f) => names.includes(f.name));
}

/** Runs one sampler the way a client of ask/tell would: ask, evaluate, tell, one trial at a time. */
export function runAimass(
  fn: TestFunction,
  make: (seed: number) => Sampler,
  trials: number,
  seeds: number,
): Outcome {
  const space: SearchSpace = Object.fromEntries(
    fn.bounds.map(([low, high], i) => [`x${i}`, { type: 'float', low, high }]),
  );
  const best: number[] = [];
  const askSeconds: number[] = [];
  const askWallSeconds: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const sampler = make(seed);
    const history: TrialRecord[] = [];
    let b = Infinity;
    for (let number = 0; number < trials; number++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const params = sampler.ask({ space, direction: 'minimize', trials: history, number });
      const c = process.cpuUsage(c0);
      askSeconds.push((c.user + c.system) / 1e6);
      askWallSeconds.push((performance.now() - t0) / 1000);
      const value = fn.f(fn.bounds.map((_, i) => params[`x${i}`] as number));
      history.push({ number, state: 'complete', params, value });
      b = Math.min(b, value);
    }
    best.push(b);
  }
  return { best, askSeconds, askWallSeconds };
}

function runOptuna(
  python: string,
  fn: TestFunction,
  sampler: string,
  trials: number,
  seeds: number,
): Outcome {
  const script = join(import.meta.dirname, '..', 'tuner_optuna.py');
  const r = spawnSync(python, [script, fn.name, sampler, String(trials), String(seeds)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(`optuna ${sampler} on ${fn.name} failed: ${r.stderr || r.error?.message}`);
  const out = JSON.parse(r.stdout) as { best: number[]; ask_s: number[]; ask_wall_s: number[] };
  return { best: out.best, askSeconds: out.ask_s, askWallSeconds: out.ask_wall_s };
}
