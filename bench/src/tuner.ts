// `npm run bench -- tuner [--trials N] [--seeds S] [--functions a,b]`: aimass's samplers against
// Optuna 3.1 (Debian python3-optuna; TPE and random, default settings) on Branin, Hartmann6, a 5-D
// Rosenbrock and a 5-D Ackley, with the same budget of trials and seeds in the same run. Regret is the
// best value found minus the function's minimum; a sampler's time per trial is the time spent choosing
// parameters (Optuna: study.ask with the distributions, which samples them; aimass: the sampler inside
// the tuner's Ask, which the tuner reports per trial as `sampler_ms`), as CPU time of the process: the
// benchmark machine is shared, and wall time there measures the neighbours. The wall time of a whole
// Ask over gRPC (sampling, the KV compare-and-set, the round trip) is printed beside it.
// aimass's samplers run in a real tuner process (with its nats-server), one study per function, sampler
// and seed, driven through Ask and Tell over gRPC one trial at a time, as an ask/tell client would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { tunerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { makeScratchDir, startMesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import {
  baselinePython,
  type BenchOptions,
  type Benchmark,
  median,
  positiveInt,
  printTable,
} from './benchmark.js';
import { type TestFunction, TEST_FUNCTIONS } from './tuner/functions.js';

/** The tuner's sampler specs, as a study names them. */
const AIMASS_SAMPLERS: Record<string, { type: string }> = {
  'aimass-random': { type: 'random' },
  'aimass-tpe': { type: 'tpe' },
  'aimass-gp': { type: 'gp' },
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
    const mesh = await startMesh({ stateDir: makeScratchDir('bench-tuner'), services: ['tuner'] });
    const tuner = createMeshClient<tunerv1.TunerServiceClient>('tuner', mesh.env.AIMASS_TUNER_GRPC!);
    try {
      return await compare(python, tuner, functions, trials, seeds);
    } finally {
      tuner.close();
      await mesh.stop();
    }
  },
};
export default bench;

async function compare(
  python: string,
  tuner: tunerv1.TunerServiceClient,
  functions: TestFunction[],
  trials: number,
  seeds: number,
): Promise<Record<string, number | string>> {
  {
    const rows: (string | number)[][] = [];
    const regret: Record<string, Record<string, number>> = {};
    const askMs: Record<string, number[]> = {};
    for (const fn of functions) {
      regret[fn.name] = {};
      const outcomes: [string, Outcome][] = [];
      for (const s of OPTUNA_SAMPLERS)
        outcomes.push([`optuna-${s}`, runOptuna(python, fn, s, trials, seeds)]);
      for (const [name, sampler] of Object.entries(AIMASS_SAMPLERS))
        outcomes.push([name, await runAimass(tuner, fn, sampler, trials, seeds)]);
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
  }
}

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

/**
 * Runs one sampler the way a client of ask/tell would: one study per seed on the running tuner, then
 * ask, evaluate, tell, one trial at a time, until the tuner refuses a trial past the budget.
 */
async function runAimass(
  tuner: tunerv1.TunerServiceClient,
  fn: TestFunction,
  sampler: { type: string },
  trials: number,
  seeds: number,
): Promise<Outcome> {
  const space = Object.fromEntries(
    fn.bounds.map(([low, high], i) => [`x${i}`, { type: 'float', low, high }]),
  );
  const best: number[] = [];
  const askSeconds: number[] = [];
  const askWallSeconds: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const study = await unary<tunerv1.Study__Output>(tuner, 'CreateStudy', {
      spec_json: JSON.stringify({
        name: `bench-${fn.name}-${sampler.type}-${seed}`,
        space,
        sampler: { ...sampler, seed },
        budget: { trials },
      }),
    });
    for (let n = 0; n < trials; n++) {
      const t0 = performance.now();
      const trial = await unary<tunerv1.Trial__Output>(tuner, 'Ask', { study_id: study.study_id });
      askWallSeconds.push((performance.now() - t0) / 1000);
      askSeconds.push(trial.sampler_ms / 1000);
      const params = JSON.parse(trial.params_json) as Record<string, number>;
      const value = fn.f(fn.bounds.map((_, i) => params[`x${i}`] as number));
      await unary(tuner, 'Tell', { study_id: study.study_id, trial: trial.number, state: 'COMPLETE', value });
    }
    const done = await unary<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: study.study_id });
    if (done.state !== 'COMPLETED' || done.trials_started !== trials || !done.best_trial)
      throw new Error(`study ${study.study_id} ended ${done.state} with ${done.trials_started} trials`);
    best.push(done.best_trial.value);
  }
  return { best, askSeconds, askWallSeconds };
}

function unary<Res>(client: unknown, method: string, request: object): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as Record<string, (r: object, cb: (e: ServiceError | null, r: Res) => void) => void>)[method]!(
      request,
      (err, res) => (err ? reject(new Error(`${method}: ${err.details || err.message}`)) : resolve(res)),
    ),
  );
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
