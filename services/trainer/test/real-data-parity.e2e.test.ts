import type { oip, registryv1, trainerv1 } from '@aimass/contracts';
import { kmeansInitialParams } from '@aimass/gmm';
import { createMeshClient } from '@aimass/grpc/client';
import { SeededRandom } from '@aimass/random';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepare } from '../src/datasets/preprocessing.js';
import { PARITY } from '../src/training/export-parity.js';
import { call, registryClient, trainerClient } from './harness.js';

// Parity on real data nobody here made: scikit-learn's 8×8 handwritten digits, as Debian's
// python3-sklearn ships them; the first 720 of its 1,797 rows, every digit among them, whose 64
// pixel columns include 5 constant ones and more nearly so. A model of every family is trained on
// it through a real mesh. Every graph it registered is downloaded and scored in this process's
// onnxruntime, and through inference over OIP v2, on the same rows: the two must agree, and the
// differences the trainer measured against its own float64 scoring (the version's lineage) must
// lie within the stated tolerance. For GMM, scikit-learn's GaussianMixture, fitted in float64 on
// the same rows with the job's K, covariance type, tol, max_iter and reg_covar and started from the
// job's own start, is the independent reference: the served log-likelihood and responsibilities of
// every row, and the mean log-likelihood within 1%. scikit-learn from its own default start is
// printed beside it, not asserted: with one start each, different starts end on different local
// optima (a few per cent apart here).

const DIGITS = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';
const PYTHON = '/usr/bin/python3';
const ROWS_PER_CALL = 64;
/** The first rows of the file (every digit class is among them), to keep the test short. */
const ROWS = 720;
const FEATURES = 64;

const JOBS: Record<string, object> = {
  ae: { family: 'ae', architecture: { hidden: [32], latent_dim: 8 }, epochs: 3 },
  vae: { family: 'vae', architecture: { hidden: [32], latent_dim: 8 }, epochs: 3 },
  gan: { family: 'gan', architecture: { hidden: [32], latent_dim: 8 }, epochs: 3 },
  // Fitted on every row, as scikit-learn's GaussianMixture is; epochs is max_iter.
  'gmm-full': {
    family: 'gmm',
    architecture: { components: 4, covariance: 'full' },
    preprocessing: { validation_split: 0 },
    epochs: 100,
  },
  'gmm-diag': {
    family: 'gmm',
    architecture: { components: 4, covariance: 'diag' },
    preprocessing: { validation_split: 0 },
    epochs: 100,
  },
};

const SKLEARN = `
import json, sys
import numpy as np
from sklearn.mixture import GaussianMixture
def fit(job, x):
    k, d, kind = job["components"], x.shape[1], job["covariance"]
    c = np.asarray(job["covariances"], dtype=np.float64)
    def spd_inverse(a):
        f = np.linalg.inv(np.linalg.cholesky(a))
        p = f.T @ f
        return (p + p.T) / 2
    precisions = np.stack([spd_inverse(b) for b in c.reshape(k, d, d)]) if kind == "full" else 1.0 / c.reshape(k, d)
    def mixture(**kw):
        return GaussianMixture(n_components=k, covariance_type=kind, tol=job["tol"], max_iter=job["max_iter"],
                               reg_covar=job["reg_covar"], **kw)
    same = mixture(weights_init=np.asarray(job["weights"]), means_init=np.asarray(job["means"]).reshape(k, d),
                   precisions_init=precisions).fit(x)
    own = mixture(random_state=0).fit(x)
    return {"log_likelihood": same.score_samples(x).tolist(), "responsibilities": same.predict_proba(x).ravel().tolist(),
            "mean": float(same.score(x)), "iterations": int(same.n_iter_), "own_start_mean": float(own.score(x))}
given = json.load(open(sys.argv[1]))
x = np.asarray(given["rows"], dtype=np.float64)
print(json.dumps({model: fit(job, x) for model, job in given["jobs"].items()}))
`;

interface Sklearn {
  log_likelihood: number[];
  responsibilities: number[];
  mean: number;
  iterations: number;
  own_start_mean: number;
}

let mesh: Mesh;
let dir: string;
let rows: Float32Array;
let count: number;
const logs = () => mesh?.services.get('trainer')?.child.logTail(40) ?? '';

beforeAll(async () => {
  if (!fs.existsSync(DIGITS) || spawnSync(PYTHON, ['-c', 'import sklearn']).status !== 0)
    throw new Error(
      `this test needs scikit-learn's digits and scikit-learn itself from Debian: apt-get install -y python3-sklearn (${DIGITS})`,
    );
  const lines = gunzipSync(fs.readFileSync(DIGITS)).toString('utf8').trim().split('\n');
  count = Math.min(ROWS, lines.length);
  rows = Float32Array.from(lines.slice(0, count).flatMap((l) => l.split(',').slice(0, FEATURES).map(Number)));
  dir = makeScratchDir('real-data-parity');
  mesh = await startMesh({
    stateDir: dir,
    services: ['registry', 'trainer', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
}, 60_000);

afterAll(async () => {
  await mesh?.stop();
});

describe("parity on scikit-learn's 8×8 digits (constant and near-constant pixel columns)", () => {
  it('serves every family as the trainer scored it, and GMM within 1% of scikit-learn from the same start', async () => {
    // The rows really have constant and near-constant columns.
    const spread = Array.from({ length: FEATURES }, (_, f) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < count; r++) {
        lo = Math.min(lo, rows[r * FEATURES + f]!);
        hi = Math.max(hi, rows[r * FEATURES + f]!);
      }
      return hi - lo;
    });
    expect(spread.filter((s) => s === 0).length).toBeGreaterThanOrEqual(5);

    const registry = registryClient(mesh);
    const trainer = trainerClient(mesh);
    const csv = Buffer.from(
      [
        Array.from({ length: FEATURES }, (_, f) => `pixel${f}`).join(','),
        ...Array.from({ length: count }, (_, r) => rows.subarray(r * FEATURES, (r + 1) * FEATURES).join(',')),
      ].join('\n') + '\n',
    );
    await new Promise<registryv1.Dataset__Output>((resolve, reject) => {
      const push = registry.PushDataset((err, d) =>
        err || !d ? reject(err ?? new Error('no answer')) : resolve(d),
      );
      push.write({ header: { name: 'digits', format: 'csv', size_bytes: String(csv.length) } });
      push.write({ chunk: csv });
      push.end();
    });

    for (const [name, spec] of Object.entries(JOBS))
      await call<trainerv1.SubmitJobRequest, trainerv1.Job__Output>(trainer, 'SubmitJob', {
        job_id: `digits-${name}`,
        spec_json: JSON.stringify({ ...spec, dataset: { name: 'digits' }, model_name: `digits-${name}` }),
      });
    for (const name of Object.keys(JOBS))
      await eventually(
        `job digits-${name} to succeed`,
        async () => {
          const job = await call<trainerv1.GetJobRequest, trainerv1.Job__Output>(trainer, 'GetJob', {
            job_id: `digits-${name}`,
          });
          if (job.state === 'FAILED' || job.state === 'CANCELLED')
            throw new Error(`job digits-${name} ${job.state}: ${job.reason}`);
          return job.state === 'SUCCEEDED' ? job : undefined;
        },
        { timeoutMs: 120_000, context: logs },
      );

    const inference = createMeshClient<oip.GRPCInferenceServiceClient>(
      'inference',
      mesh.env.AIMASS_INFERENCE_GRPC!,
    );
    const mixtures: { model: string; job: object; served: Record<string, Float32Array> }[] = [];
    try {
      for (const name of Object.keys(JOBS)) {
        const model = `digits-${name}`;
        const primary = await call<registryv1.GetVersionRequest, registryv1.ModelVersion__Output>(
          registry,
          'GetVersion',
          { model, version: '1' },
        );
        const lineage = primary.lineage!;
        expect(lineage.hyperparameters).toMatchObject({
          'parity.rtol': String(PARITY.rtol),
          'parity.atol': String(PARITY.atol),
        });
        const recorded = Object.entries(lineage.metrics).filter(([k]) => k.startsWith('parity.'));
        const roles = [...new Set(recorded.map(([k]) => k.split('.')[1]!))];
        expect(roles.sort(), `${model}: graphs with parity figures in its lineage`).toEqual(
          name === 'gan'
            ? ['generator']
            : name.startsWith('gmm')
              ? ['mixture']
              : ['anomaly', 'decoder', 'encoder'],
        );

        for (const role of roles) {
          const artifact = role === primaryRole(name) ? model : `${model}-${role}`;
          const { version, onnx } = await download(registry, artifact);
          const input = version.signature!.inputs[0]!;
          const width = Number(input.shape.at(-1));
          const x = input.name === 'x' || input.name === 'input' ? rows : gaussian(count * width, 7);
          const local = await runLocal(onnx, input.name, x, count, width);
          const served = await runServed(inference, artifact, input.name, x, count, width);
          for (const output of version.signature!.outputs.filter((o) => o.datatype === 'FP32')) {
            const mine = local[output.name]!;
            const theirs = served[output.name]!;
            expect(theirs.length, `${artifact}.${output.name}`).toBe(mine.length);
            // The same graph in the same runtime; only the batching differs.
            const scale = Math.max(1, ...mine.map(Math.abs));
            const worst = mine.reduce(
              (m, v, i) => Math.max(m, Math.abs(v - theirs[i]!) / (1e-6 * scale + 1e-5 * Math.abs(v))),
              0,
            );
            expect(worst, `${artifact}.${output.name}: served vs onnxruntime here`).toBeLessThanOrEqual(1);
            // The trainer measured this output against its float64 scoring, within the tolerance.
            const diff = lineage.metrics[`parity.${role}.${output.name}.max_abs_diff`];
            expect(diff, `${model}: parity.${role}.${output.name}.max_abs_diff`).toBeDefined();
            const peak = Math.max(...mine.map(Math.abs));
            expect(diff!).toBeLessThanOrEqual(PARITY.atol * scale + PARITY.rtol * peak);
          }
          // The scorer's is_anomaly (BOOL) is its served score > the threshold in its lineage.
          for (const output of version.signature!.outputs.filter((o) => o.datatype === 'BOOL')) {
            expect(output.name).toBe('is_anomaly');
            const threshold = lineage.metrics.threshold;
            expect(threshold, `${model}: threshold in the lineage`).toBeDefined();
            expect(lineage.hyperparameters.threshold_percentile).toBe('99');
            const flags = served.is_anomaly!;
            expect(Array.from(flags)).toEqual(Array.from(local.is_anomaly!));
            const score = served.score!;
            expect(Array.from(flags)).toEqual(
              Array.from(score, (v) => (v > Math.fround(threshold!) ? 1 : 0)),
            );
            // About 1% of the rows the threshold was taken from score above it; these rows include others.
            const flagged = flags.reduce((a, b) => a + b, 0);
            expect(flagged, `${model}: rows flagged`).toBeGreaterThan(0);
            expect(flagged, `${model}: rows flagged`).toBeLessThan(count * 0.1);
            expect(lineage.metrics[`parity.${role}.is_anomaly.max_abs_diff`]).toBeDefined();
          }
          if (role === 'anomaly' || role === 'mixture')
            expect(
              version.signature!.outputs.map((o) => o.name),
              `${model}: the scorer's outputs`,
            ).toContain('is_anomaly');
          if (role === 'mixture') mixtures.push({ model, job: sklearnJob(lineage), served });
        }
      }
    } finally {
      inference.close();
      registry.close();
      trainer.close();
    }

    // One scikit-learn process for both mixtures, on the same rows.
    const file = path.join(dir, 'mixtures.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        rows: Array.from({ length: count }, (_, r) => [...rows.subarray(r * FEATURES, (r + 1) * FEATURES)]),
        jobs: Object.fromEntries(mixtures.map((m) => [m.model, m.job])),
      }),
    );
    const sklearn = JSON.parse(
      execFileSync(PYTHON, ['-c', SKLEARN, file], { encoding: 'utf8', maxBuffer: 1 << 26 }),
    ) as Record<string, Sklearn>;
    expect(mixtures.map((m) => m.model)).toEqual(['digits-gmm-full', 'digits-gmm-diag']);
    for (const m of mixtures) checkAgainstSklearn(m.model, sklearn[m.model]!, m.served);
  }, 240_000);
});

function primaryRole(name: string): string {
  return name === 'gan' ? 'generator' : name.startsWith('gmm') ? 'mixture' : 'anomaly';
}

/**
 * What scikit-learn needs to start where the job started, rebuilt from its lineage: the rows in
 * the trainer's seeded order (the k-means++ sampling depends on it), k-means seeded alike.
 */
function sklearnJob(lineage: registryv1.Lineage__Output): object {
  const h = lineage.hyperparameters;
  expect(h['architecture.n_init']).toBe('1');
  const settings = {
    components: Number(h['architecture.components']),
    covariance: h['architecture.covariance'] as 'full' | 'diag',
    reg_covar: Number(h['architecture.reg_covar']),
    tol: Number(h['architecture.tol']),
    max_iter: Number(h.epochs),
  };
  const seed = Number(h['preprocessing.seed']);
  const data = prepare(
    { rows: count, features: FEATURES, values: rows, digest: '', description: '' },
    { scaling: 'none', validationSplit: Number(h['preprocessing.validation_split']), seed },
  );
  expect(data.trainRows).toBe(count);
  const start = kmeansInitialParams(data.train, count, FEATURES, {
    components: settings.components,
    covariance: settings.covariance,
    regCovar: settings.reg_covar,
    seed,
  });
  return {
    ...settings,
    weights: [...start.weights],
    means: [...start.means],
    covariances: [...start.covariances],
  };
}

/** Served against scikit-learn's float64 fit from the same start: every row, and the mean within 1%. */
function checkAgainstSklearn(model: string, sk: Sklearn, served: Record<string, Float32Array>): void {
  for (const [output, expected] of [
    ['log_likelihood', sk.log_likelihood],
    ['responsibilities', sk.responsibilities],
  ] as const) {
    const got = served[output]!;
    expect(got.length).toBe(expected.length);
    const scale = Math.max(1, ...expected.map(Math.abs));
    const worst = expected.reduce(
      (m, e, i) => Math.max(m, Math.abs(got[i]! - e) / (PARITY.atol * scale + PARITY.rtol * Math.abs(e))),
      0,
    );
    expect(
      worst,
      `${model}.${output}: served vs scikit-learn from the same start, × the tolerance`,
    ).toBeLessThanOrEqual(1);
  }
  const ll = served.log_likelihood!;
  const mean = ll.reduce((a, b) => a + b, 0) / ll.length;
  const ratio = mean / sk.mean;
  process.stdout.write(
    `${model}: served mean log-likelihood ${mean.toFixed(4)}; scikit-learn from the job's start ${sk.mean.toFixed(4)} ` +
      `(ratio ${ratio.toFixed(6)}, ${sk.iterations} iterations), from its own default start ${sk.own_start_mean.toFixed(4)}\n`,
  );
  expect(Math.abs(ratio - 1), `${model}: served / scikit-learn mean log-likelihood`).toBeLessThan(0.01);
}

async function download(
  registry: registryv1.RegistryServiceClient,
  model: string,
): Promise<{ version: registryv1.ModelVersion__Output; onnx: Uint8Array }> {
  const chunks: Buffer[] = [];
  let version: registryv1.ModelVersion__Output | undefined;
  const stream = registry.DownloadVersion({ model, version: '1' });
  for await (const part of stream as AsyncIterable<registryv1.DownloadVersionChunk__Output>) {
    if (part.version) version = part.version;
    if (part.chunk) chunks.push(part.chunk);
  }
  if (!version) throw new Error(`${model}: the download named no version`);
  return { version, onnx: Buffer.concat(chunks) };
}

async function runLocal(
  onnx: Uint8Array,
  input: string,
  x: Float32Array,
  n: number,
  width: number,
): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const out = await session.run({ [input]: new ort.Tensor('float32', x, [n, width]) });
    return Object.fromEntries(
      Object.entries(out)
        .filter(([, t]) => t.type === 'float32' || t.type === 'bool')
        .map(([k, t]) => [k, Float32Array.from(t.data as Float32Array | Uint8Array)]),
    );
  } finally {
    await session.release();
  }
}

/** Every output, ROWS_PER_CALL rows per request (the served models' max batch size). */
async function runServed(
  client: oip.GRPCInferenceServiceClient,
  model: string,
  input: string,
  x: Float32Array,
  n: number,
  width: number,
): Promise<Record<string, Float32Array>> {
  const parts: Record<string, number[]> = {};
  for (let at = 0; at < n; at += ROWS_PER_CALL) {
    const batch = Math.min(ROWS_PER_CALL, n - at);
    const slice = x.slice(at * width, (at + batch) * width);
    const res = await call<oip.ModelInferRequest, oip.ModelInferResponse__Output>(client, 'ModelInfer', {
      model_name: model,
      inputs: [{ name: input, datatype: 'FP32', shape: [batch, width] }],
      raw_input_contents: [Buffer.from(slice.buffer)],
    });
    res.outputs.forEach((o, i) => {
      const raw = res.raw_output_contents[i]!;
      const values = (parts[o.name] ??= []);
      if (o.datatype === 'BOOL') {
        for (const b of raw) values.push(b);
        return;
      }
      if (o.datatype !== 'FP32') return;
      // The reply buffer need not be 4-byte aligned, so the floats are read one by one.
      for (let b = 0; b < raw.length; b += 4) values.push(raw.readFloatLE(b));
    });
  }
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Float32Array.from(v)]));
}

/** Seeded standard normals: latent codes for a decoder, noise for a generator. */
function gaussian(length: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length }, () => {
    const u = 1 - rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  });
}
