import { httpKey } from '@aimass/config';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh, type ServiceName } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { positiveInt, printTable, type Benchmark } from './benchmark.js';

type Rpc = Record<string, (...a: unknown[]) => unknown>;

const SERVICES: readonly ServiceName[] = ['registry', 'trainer', 'tuner', 'inference', 'monitor'];
const SAMPLE_MS = 5_000;
const PUSH_EVERY_MS = 2_000;
const JOB_EVERY_MS = 20_000;

const onnx = (seed: number) =>
  Buffer.from(
    exportDenseNetwork(
      randomDenseNetwork({
        inputDim: 8,
        hidden: [32],
        outputDim: 4,
        seed,
        activation: 'tanh',
        outputActivation: 'linear',
      }),
    ),
  );

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HeapFigures {
  readonly heapUsed: number;
  readonly external: number;
}

/** A service's JS heap in use and external memory, from its Prometheus endpoint (Node's default metrics). */
async function heapFigures(metricsUrl: string | undefined): Promise<HeapFigures | undefined> {
  if (!metricsUrl) return undefined;
  try {
    const text = await (await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1]);
    const figures = {
      heapUsed: value('nodejs_heap_size_used_bytes'),
      external: value('nodejs_external_memory_bytes'),
    };
    return Number.isFinite(figures.heapUsed) && Number.isFinite(figures.external) ? figures : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The mixed-traffic soak (`npm run soak [-- --minutes N]`, default 5): the whole mesh under steady
 * predictions (two back-to-back callers), a push every 2 s (the served model's alias moves with each
 * tenth, so inference hot-swaps), a GMM training job every 20 s, and an ask/tell trial every second.
 * Each service's RSS is sampled every 5 s.
 *
 * `rss_growth` = the largest, over the five services, of (RSS at the end: the mean of the last 30 s
 * of samples) / (RSS at the 1-minute mark: the mean of the samples within 15 s of it) - 1; `errors` =
 * failed calls plus jobs that did not succeed. Goals: rss_growth <= 0.10, errors = 0.
 * `rss_growth_incl_warmup` = the same with the means of the first and of the last minute, which
 * counts the first ~20 s of traffic, while each service allocates its working set.
 */
const bench: Benchmark = {
  description: 'mixed traffic against the whole mesh for N minutes: RSS growth and errors',
  options: { minutes: { type: 'string' } },
  async run(args) {
    const minutes = positiveInt(args, 'minutes', 5);
    const durationMs = minutes * 60_000;
    const mesh = await startMesh({
      stateDir: makeScratchDir('bench-soak'),
      extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
    });
    try {
      return await soak(mesh, durationMs);
    } finally {
      await mesh.stop();
    }
  },
};

async function soak(mesh: Mesh, durationMs: number): Promise<Record<string, number>> {
  const clients = new Map<ServiceName, Rpc>();
  const client = (name: ServiceName) => {
    let c = clients.get(name);
    if (!c) {
      c = createMeshClient<Rpc>(name as never, mesh.env[`AIMASS_${name.toUpperCase()}_GRPC`]!);
      clients.set(name, c);
    }
    return c;
  };
  const unary = <T>(name: ServiceName, method: string, request: unknown) =>
    new Promise<T>((resolve, reject) =>
      client(name)[method]!(request, { deadline: Date.now() + 30_000 }, (err: ServiceError | null, res: T) =>
        err ? reject(err) : resolve(res),
      ),
    );
  const push = (model: string, bytes: Buffer, alias = '') =>
    new Promise<{ version: number }>((resolve, reject) => {
      const stream = client('registry').PushVersion!(
        { deadline: Date.now() + 30_000 },
        (err: ServiceError | null, res: { version: number }) => (err ? reject(err) : resolve(res)),
      ) as { write(m: unknown): void; end(): void };
      stream.write({ header: { model, format: 'onnx', alias } });
      stream.write({ chunk: bytes });
      stream.end();
    });

  const errors = new Map<string, number>();
  const counts = { predictions: 0, pushes: 0, jobs: 0, trials: 0 };
  const attempt = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (err) {
      const key = `${what}: ${(err as ServiceError).details ?? (err as Error).message}`.slice(0, 160);
      errors.set(key, (errors.get(key) ?? 0) + 1);
      return undefined;
    }
  };

  await push('soak-served', onnx(1), 'production');
  const input = Buffer.from(Float32Array.from({ length: 8 }, (_, i) => i / 8).buffer);
  const predict = () =>
    unary('inference', 'ModelInfer', {
      model_name: 'soak-served',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 8] }],
      raw_input_contents: [input],
    });
  // The first prediction loads the model; the soak starts once it serves.
  for (let i = 0; ; i++) {
    try {
      await predict();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await pause(200);
    }
  }
  const study = await unary<{ study_id: string }>('tuner', 'CreateStudy', {
    spec_json: JSON.stringify({
      name: 'soak',
      space: { x: { type: 'float', low: -5, high: 5 } },
      sampler: { type: 'tpe', seed: 1 },
      budget: { trials: 1000 },
    }),
    study_id: '',
  });

  const started = performance.now();
  const end = started + durationMs;
  const live = () => performance.now() < end;
  const samples: { at: number; rss: Map<ServiceName, number>; heap: Map<ServiceName, HeapFigures> }[] = [];
  const jobIds: string[] = [];

  const sampler = (async () => {
    while (live()) {
      const at = performance.now() - started;
      const rss = new Map(SERVICES.map((s) => [s, rssBytes(mesh.services.get(s)!.child.pid)]));
      const heap = new Map<ServiceName, HeapFigures>();
      for (const s of SERVICES) {
        const figures = await heapFigures(mesh.env[httpKey(s)]);
        if (figures) heap.set(s, figures);
      }
      samples.push({ at, rss, heap });
      await pause(SAMPLE_MS);
    }
  })();
  const predictions = Array.from({ length: 2 }, async () => {
    while (live()) if ((await attempt('ModelInfer', predict)) !== undefined) counts.predictions++;
  });
  const pushes = (async () => {
    for (let n = 1; live(); n++) {
      const alias = n % 10 === 0 ? 'production' : '';
      const model = alias ? 'soak-served' : 'soak-pushed';
      if (await attempt('PushVersion', () => push(model, onnx(n + 1), alias))) counts.pushes++;
      await pause(PUSH_EVERY_MS);
    }
  })();
  const jobs = (async () => {
    for (let n = 1; live(); n++) {
      const id = `soak-${Date.now()}-${n}`;
      const spec = {
        family: 'gmm',
        dataset: { builtin: 'gaussian_blobs', rows: 2000, features: 4 },
        epochs: 100,
        architecture: { components: 3 },
        model_name: 'soak-gmm',
      };
      if (
        await attempt('SubmitJob', () =>
          unary('trainer', 'SubmitJob', { job_id: id, spec_json: JSON.stringify(spec) }),
        )
      )
        jobIds.push(id);
      const next = performance.now() + JOB_EVERY_MS;
      while (live() && performance.now() < next) await pause(500);
    }
  })();
  const trials = (async () => {
    while (live()) {
      const trial = await attempt('Ask', () =>
        unary<{ number: number; params_json: string }>('tuner', 'Ask', { study_id: study.study_id }),
      );
      if (trial) {
        const { x } = JSON.parse(trial.params_json) as { x: number };
        const told = await attempt('Tell', () =>
          unary('tuner', 'Tell', {
            study_id: study.study_id,
            trial: trial.number,
            state: 'COMPLETE',
            value: (x - 1) ** 2,
            reason: '',
          }),
        );
        if (told) counts.trials++;
      }
      await pause(1_000);
    }
  })();
  await Promise.all([sampler, ...predictions, pushes, jobs, trials]);

  // Jobs submitted near the end get a bounded while to finish; one that does not succeed is an error.
  const deadline = performance.now() + 120_000;
  for (const id of jobIds) {
    for (;;) {
      const job = await attempt('GetJob', () =>
        unary<{ state: string; reason: string }>('trainer', 'GetJob', { job_id: id }),
      );
      if (job?.state === 'SUCCEEDED') {
        counts.jobs++;
        break;
      }
      if (!job || ['FAILED', 'CANCELLED'].includes(job.state) || performance.now() > deadline) {
        const key = `job ${job?.state ?? 'unknown'}: ${job?.reason ?? ''}`.slice(0, 160);
        errors.set(key, (errors.get(key) ?? 0) + 1);
        break;
      }
      await pause(500);
    }
  }
  for (const c of clients.values()) (c as unknown as { close(): void }).close();

  const minute = 60_000;
  const mean = (xs: typeof samples, s: ServiceName) =>
    xs.reduce((n, x) => n + x.rss.get(s)!, 0) / Math.max(1, xs.length);
  // RSS at the 1-minute mark (the samples within 15 s of it) and at the end (the last 30 s): the
  // growth from minute 1 to minute 5. Beside it, the first minute's mean against the last minute's,
  // which also counts the warm-up (each service's working set is allocated in the first ~20 s of
  // traffic).
  const atOneMinute = samples.filter((x) => Math.abs(x.at - minute) <= 15_000);
  const atEnd = samples.filter((x) => x.at >= durationMs - 30_000);
  const firstMinute = samples.filter((x) => x.at < minute);
  const lastMinute = samples.filter((x) => x.at >= Math.max(minute, durationMs - minute));
  const rows = SERVICES.map((s) => {
    const mark = mean(atOneMinute, s);
    const end = atEnd.length ? mean(atEnd, s) : mark;
    const first = mean(firstMinute, s);
    const last = lastMinute.length ? mean(lastMinute, s) : first;
    return { s, mark, end, growth: end / mark - 1, first, last, withWarmUp: last / first - 1 };
  });
  printTable(
    [
      'service',
      'RSS MiB at 1:00',
      'RSS MiB at end',
      'growth',
      'RSS MiB minute 1 (mean)',
      'RSS MiB last minute (mean)',
      'growth incl. warm-up',
    ],
    rows.map((r) => [
      r.s,
      r.mark / 2 ** 20,
      r.end / 2 ** 20,
      r.growth,
      r.first / 2 ** 20,
      r.last / 2 ** 20,
      r.withWarmUp,
    ]),
  );
  // Where the memory is, minute by minute: the JS heap, memory outside it that JS holds (buffers,
  // worker messages), and the rest of RSS (native: onnxruntime, worker isolates, the allocator).
  const growing = rows.reduce((a, b) => (b.growth > a.growth ? b : a)).s;
  const timeline: (string | number)[][] = [];
  for (let from = 0; from < durationMs; from += minute) {
    const inMinute = samples.filter((x) => x.at >= from && x.at < from + minute && x.heap.has(growing));
    if (inMinute.length === 0) continue;
    const avg = (f: (x: (typeof samples)[number]) => number) =>
      inMinute.reduce((n, x) => n + f(x), 0) / inMinute.length / 2 ** 20;
    const rss = avg((x) => x.rss.get(growing)!);
    const heap = avg((x) => x.heap.get(growing)!.heapUsed);
    const external = avg((x) => x.heap.get(growing)!.external);
    timeline.push([`${growing} minute ${from / minute + 1}`, rss, heap, external, rss - heap - external]);
  }
  printTable(['', 'RSS MiB', 'JS heap used MiB', 'external MiB', 'rest (native) MiB'], timeline);
  process.stdout.write(
    `${counts.predictions} predictions, ${counts.pushes} pushes, ${counts.jobs} jobs succeeded of ${jobIds.length}, ${counts.trials} trials\n`,
  );
  for (const [what, n] of errors) process.stdout.write(`error x${n}: ${what}\n`);
  const errorCount = [...errors.values()].reduce((n, x) => n + x, 0);
  return {
    rss_growth: Math.max(...rows.map((r) => r.growth)),
    errors: errorCount,
    rss_growth_incl_warmup: Math.max(...rows.map((r) => r.withWarmUp)),
  };
}

export default bench;
