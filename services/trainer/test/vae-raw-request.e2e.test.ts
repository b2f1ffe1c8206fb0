import { type oip, type registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { SeededRandom } from '@aimass/random';
import { AutoencoderModel } from '@aimass/tfjs/families';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import * as tf from '@tensorflow/tfjs';
import { ObjectStore } from '@aimass/storage';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/src/program.js';
import { reconstructionWeights } from '@aimass/onnx';
import { loadBuiltin } from '../src/datasets/builtin-datasets.js';
import { prepare } from '../src/datasets/preprocessing.js';
import { fitOutputVariance } from '../src/training/anomaly-scoring.js';
import { decodeCheckpoint } from '../src/training/checkpoint.js';
import { call, registryClient, watchJobEvents } from './harness.js';

// The must-show path: a producer with nothing but a NATS client asks for a VAE; the trainer trains
// it, registers its ONNX graphs, and the inference service serves them. The ONNX outputs are checked
// against the tfjs model rebuilt from the job's last checkpoint.

const JOB = 'e2e-vae-raw';
const SPEC = {
  family: 'vae',
  dataset: { builtin: 'anomaly_blobs', rows: 400, features: 8 },
  architecture: { hidden: [16], latent_dim: 3 },
  epochs: 3,
  batch_size: 32,
  metrics: ['elbo', 'kl', 'auroc'],
  model_name: 'e2e-vae',
  alias: 'production',
};

let mesh: Mesh;
let watch: Awaited<ReturnType<typeof watchJobEvents>>;
const logs = () => mesh.services.get('trainer')?.child.logTail(60) ?? '';

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('trainer-vae'),
    services: ['registry', 'trainer', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
  watch = await watchJobEvents(mesh.env.AIMASS_NATS_URL!);
});

afterAll(async () => {
  await watch?.nc.drain();
  await mesh?.stop();
});

describe('a VAE requested by a raw NATS publish', () => {
  it('trains with progress events, registers its graphs, and is served equal to tfjs within 1e-5', async () => {
    const id = randomUUID();
    const envelope = {
      id,
      type: 'trainer.job.requested',
      source: 'e2e/raw-producer',
      time: new Date().toISOString(),
      subject: 'jobs',
      data: { job_id: JOB, pool: 'cpu', spec: SPEC },
    };
    // Plain core publish of the documented JSON: the AIMASS_EVENTS stream captures it.
    watch.nc.publish('aimass.events.trainer.job.requested', JSON.stringify(envelope));

    const succeeded = await eventually(
      'trainer.job.succeeded',
      () => watch.of(JOB, 'trainer.job.succeeded')[0],
      { timeoutMs: 90_000, context: logs },
    );
    const progress = watch.of(JOB, 'trainer.job.progress');
    expect(progress.map((e) => e.data.epoch)).toEqual([1, 2, 3]);
    const jobEvents = watch.of(JOB).filter((e) => e.type !== 'trainer.job.requested');
    expect(jobEvents.map((e) => e.type)).toEqual([
      'trainer.job.started',
      ...progress.map(() => 'trainer.job.progress'),
      'trainer.job.succeeded',
    ]);
    for (const e of jobEvents) expect(e.data.backend).toBe('wasm');
    expect(progress[2]?.data).toMatchObject({
      epochs: 3,
      losses: { loss: expect.any(Number), kl: expect.any(Number), val_loss: expect.any(Number) },
      metrics: { elbo: expect.any(Number), auroc: expect.any(Number) },
    });
    expect(progress[2]?.data.samples_per_second).toBeGreaterThan(0);
    expect(succeeded.data).toMatchObject({
      model: 'e2e-vae',
      version: 1,
      artifacts: { anomaly: 'e2e-vae@1', encoder: 'e2e-vae-encoder@1', decoder: 'e2e-vae-decoder@1' },
      epochs_run: 3,
    });

    const registry = registryClient(mesh);
    const version = await call<registryv1.GetVersionRequest, registryv1.ModelVersion__Output>(
      registry,
      'GetVersion',
      { model: 'e2e-vae', version: 'production' },
    );
    expect(version.version).toBe(1);
    expect(version.tags).toMatchObject({
      'aimass.job_id': JOB,
      'aimass.family': 'vae',
      'aimass.role': 'anomaly',
      'aimass.dataset': 'builtin:anomaly_blobs',
      'aimass.backend': 'wasm',
    });
    // The defaults: standard scaling, early stopping with the best epoch's weights, a 99th-percentile threshold.
    expect(version.lineage).toMatchObject({
      source_job_id: JOB,
      hyperparameters: {
        family: 'vae',
        epochs: '3',
        'architecture.latent_dim': '3',
        'preprocessing.scaling': 'standard',
        'architecture.output_activation': 'linear',
        'early_stopping.patience': '10',
        'early_stopping.restore_best': 'true',
        threshold_percentile: '99',
      },
    });
    const threshold = version.lineage!.metrics.threshold!;
    expect(Number.isFinite(threshold)).toBe(true);
    expect(version.signature?.outputs.find((o) => o.name === 'is_anomaly')).toMatchObject({
      datatype: 'BOOL',
    });
    expect(version.lineage?.dataset_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(version.lineage?.metrics.elbo).toBeCloseTo(
      progress[2]!.data.metrics ? (progress[2]!.data.metrics as Record<string, number>).elbo! : NaN,
      6,
    );
    expect(version.has_reference_statistics).toBe(true);
    const stats = await call<registryv1.GetVersionRequest, registryv1.ReferenceStatistics__Output>(
      registry,
      'GetReferenceStatistics',
      { model: 'e2e-vae', version: '1' },
    );
    registry.close();
    expect(Number(stats.sample_count)).toBe(320);
    expect(stats.features.map((f) => f.name)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7']);
    expect(stats.features[0]?.histogram?.counts.reduce((a, b) => a + Number(b), 0)).toBe(320);
    const reference = { mean: stats.features.map((f) => f.mean), std: stats.features.map((f) => f.stddev) };
    expect(version.signature?.inputs.map((i) => i.name)).toEqual(['x']);

    // The tfjs model, rebuilt from the last checkpoint the job wrote.
    const store = new ObjectStore({
      endpoint: mesh.env.AIMASS_S3_ENDPOINT!,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      region: 'us-east-1',
      bucket: 'aimass-artifacts',
    });
    const read = (key: string) => store.getBuffer(key);
    const pointer = JSON.parse((await read(`trainer/checkpoints/${JOB}/latest.json`)).toString()) as {
      key: string;
      epoch: number;
    };
    expect(pointer.epoch).toBe(3);
    const checkpoint = decodeCheckpoint(await read(pointer.key));
    const model = new AutoencoderModel(
      'vae',
      {
        inputDim: 8,
        hidden: [16],
        latentDim: 3,
        activation: 'relu',
        // Standard-scaled features take any value, so the default output layer is linear.
        outputActivation: 'linear',
        reconstructionLoss: 'mse',
      },
      { name: 'adam', learningRate: 0.001 },
      new SeededRandom(0),
    );
    // restore_best: the exported weights are the best epoch's, which the checkpoint keeps under best:
    // when that was not the last epoch.
    const exported = Number(version.lineage!.hyperparameters['run.exported_epoch']);
    expect(exported).toBe(checkpoint.bestEpoch ?? 3);
    const prefix = exported === 3 ? 'var:' : 'best:var:';
    for (const { name, variable } of model.namedVariables())
      variable.assign(
        tf.tensor(checkpoint.tensors.find((t) => t.name === `${prefix}${name}`)!.values, variable.shape),
      );

    const rows = 5;
    const raw = Float32Array.from({ length: rows * 8 }, (_, i) => Math.sin(i * 0.7) * 1.5);
    // Standard scaling (the default), fitted on the training rows the reference statistics describe.
    const offset = Float32Array.from(reference.mean);
    const scale = Float32Array.from(reference.std, (s) => 1 / s);
    const scaled = raw.map((v, i) => Math.fround(Math.fround(v - offset[i % 8]!) * scale[i % 8]!));
    // The score weighs each feature's squared error by the output variance the trainer fitted on its
    // training rows once training ended, from the same weights: rebuilt here from the same rows.
    const data = prepare(loadBuiltin('anomaly_blobs', 400, 8, 1), {
      scaling: 'standard',
      validationSplit: 0.2,
      seed: 42,
    });
    const exportedModel = await model.toExport();
    const variance = fitOutputVariance(exportedModel, data.train, data.trainRows);
    const weights = reconstructionWeights({ ...exportedModel, outputVariance: variance })!;
    const expectedScores = await model.elboScores(tf.tensor2d(scaled, [rows, 8]), weights);

    const inference = createMeshClient<oip.GRPCInferenceServiceClient>(
      'inference',
      mesh.env.AIMASS_INFERENCE_GRPC!,
    );
    const res = await call<oip.ModelInferRequest, oip.ModelInferResponse__Output>(inference, 'ModelInfer', {
      model_name: 'e2e-vae',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 8] }],
      raw_input_contents: [Buffer.from(raw.buffer)],
    });
    inference.close();
    expect(res.model_version).toBe('1');
    const at = res.outputs.findIndex((o) => o.name === 'score');
    const bytes = res.raw_output_contents[at]!;
    const served = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    expect(served.length).toBe(rows);
    // The VAE's score is −ELBO over the same fixed latent draws in tfjs and in the graph.
    const worst = served.reduce(
      (m, v, i) => Math.max(m, Math.abs(v - expectedScores[i]!) / Math.max(1, Math.abs(expectedScores[i]!))),
      0,
    );
    expect(worst).toBeLessThan(1e-5);
    const flagAt = res.outputs.findIndex((o) => o.name === 'is_anomaly');
    expect(res.outputs[flagAt]?.datatype).toBe('BOOL');
    expect([...res.raw_output_contents[flagAt]!]).toEqual(
      [...served].map((v) => (v > Math.fround(threshold) ? 1 : 0)),
    );
    model.dispose();
  });

  it('trains a Gaussian mixture by EM on the same path, and inference serves its log-likelihood', async () => {
    const envelope = {
      id: randomUUID(),
      type: 'trainer.job.requested',
      source: 'e2e/raw-producer',
      time: new Date().toISOString(),
      subject: 'jobs',
      data: {
        job_id: 'e2e-gmm',
        spec: {
          family: 'gmm',
          dataset: { builtin: 'gaussian_blobs', rows: 600, features: 3 },
          epochs: 100,
          architecture: { components: 3 },
          model_name: 'e2e-gmm',
        },
      },
    };
    watch.nc.publish('aimass.events.trainer.job.requested', JSON.stringify(envelope));
    const succeeded = await eventually(
      'the GMM job to succeed',
      () => watch.of('e2e-gmm', 'trainer.job.succeeded')[0],
      { timeoutMs: 60_000, context: logs },
    );
    expect(succeeded.data).toMatchObject({
      model: 'e2e-gmm',
      version: 1,
      artifacts: { mixture: 'e2e-gmm@1' },
      metrics: { log_likelihood: expect.any(Number), bic: expect.any(Number), aic: expect.any(Number) },
    });
    expect(watch.of('e2e-gmm', 'trainer.job.progress').length).toBeGreaterThan(0);
    const inference = createMeshClient<oip.GRPCInferenceServiceClient>(
      'inference',
      mesh.env.AIMASS_INFERENCE_GRPC!,
    );
    const input = Float32Array.from([0, 0, 0, 50, 50, 50]);
    const res = await call<oip.ModelInferRequest, oip.ModelInferResponse__Output>(inference, 'ModelInfer', {
      model_name: 'e2e-gmm',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3] }],
      raw_input_contents: [Buffer.from(input.buffer)],
    });
    inference.close();
    const floats = (name: string) => {
      const bytes = res.raw_output_contents[res.outputs.findIndex((o) => o.name === name)]!;
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    };
    const ll = floats('log_likelihood');
    // A point far outside every blob is far less likely than one among them.
    expect(ll[1]!).toBeLessThan(ll[0]! - 100);
    // Its anomaly score is −log p(x), and only the far point is above the training threshold.
    expect(Array.from(floats('score'))).toEqual(Array.from(ll, (v) => -v));
    const flags = res.raw_output_contents[res.outputs.findIndex((o) => o.name === 'is_anomaly')]!;
    expect([...flags]).toEqual([0, 1]);
  });

  it('aimass train SPEC.json --wait follows the epochs and ends with "<model> <version>"', async () => {
    const file = path.join(makeScratchDir('train-cli'), 'spec.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        family: 'gan',
        dataset: { builtin: 'sine_waves', rows: 200, features: 8 },
        architecture: { hidden: [16], latent_dim: 4 },
        epochs: 3,
        batch_size: 32,
        model_name: 'e2e-cli-gan',
      }),
    );
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
      env: { AIMASS_TRAINER_GRPC: mesh.env.AIMASS_TRAINER_GRPC!, AIMASS_STACK_ENV: writeEnv() },
    };
    const code = await runCli(['train', file, '--wait', '--job-id', 'e2e-cli-gan-job'], io as never);
    expect(code, err.join('')).toBe(0);
    expect(out.join('').trim().split('\n').at(-1)).toBe('e2e-cli-gan 1');
    expect(err.join('')).toMatch(/epoch 1\/3 loss [-\d.e]+ \d+ samples\/s wasm\nepoch 2\/3 .*\nepoch 3\/3 /);

    // The jobs commands see it: listed by model, shown with its epochs and versions, watched to its end.
    out.length = 0;
    expect(await runCli(['jobs', 'list', '--model', 'e2e-cli-gan'], io as never), err.join('')).toBe(0);
    const listed = out.join('').trim().split('\n');
    expect(listed[0]).toMatch(/^JOB\s+STATE\s+FAMILY\s+POOL\s+EPOCH\s+NODE\s+BACKEND\s+MODEL\s+CREATED$/);
    expect(listed.slice(1)).toHaveLength(1);
    expect(listed[1]).toMatch(
      /^e2e-cli-gan-job\s+SUCCEEDED\s+gan\s+cpu\s+3\/3\s+\S+\s+wasm\s+e2e-cli-gan 1\s/,
    );
    out.length = 0;
    expect(await runCli(['jobs', 'list', '--state', 'FAILED', '--model', 'e2e-cli-gan'], io as never)).toBe(
      0,
    );
    expect(out.join('').trim().split('\n')).toHaveLength(1);

    out.length = 0;
    expect(await runCli(['jobs', 'show', 'e2e-cli-gan-job'], io as never), err.join('')).toBe(0);
    const shown = out.join('');
    expect(shown).toMatch(/^job:\s+e2e-cli-gan-job$/m);
    expect(shown).toMatch(/^state:\s+SUCCEEDED$/m);
    expect(shown).toMatch(/^versions:\s+.*generator e2e-cli-gan 1/m);
    expect(shown).toMatch(/"model_name": "e2e-cli-gan"/);
    const table = shown.slice(shown.indexOf('\nEPOCH')).trim().split('\n');
    expect(table[0]).toMatch(/^EPOCH\s+.*LOSS.*SAMPLES\/S\s+NODE$/);
    expect(table.slice(1).map((row) => row.split(/\s+/)[0])).toEqual(['1', '2', '3']);

    out.length = 0;
    expect(await runCli(['jobs', 'watch', 'e2e-cli-gan-job'], io as never), err.join('')).toBe(0);
    expect(out.join('')).toBe('e2e-cli-gan 1\n');

    // Bad input: each gets a message that says what is wrong, and no job changes.
    const bad: [string[], number, RegExp][] = [
      [
        ['jobs', 'cancel', 'e2e-cli-gan-job'],
        1,
        /FAILED_PRECONDITION: job e2e-cli-gan-job is already SUCCEEDED/,
      ],
      [['jobs', 'show', 'no-such-job'], 1, /NOT_FOUND: .*no-such-job/],
      [['jobs', 'watch', 'no-such-job'], 1, /NOT_FOUND: .*no-such-job/],
      [
        ['jobs', 'list', '--state', 'DONE'],
        2,
        /argument 'DONE' is invalid. Allowed choices are QUEUED, RUNNING/,
      ],
      [['jobs', 'show'], 2, /missing required argument 'ID'/],
    ];
    for (const [args, exit, message] of bad) {
      err.length = 0;
      expect(await runCli(args, io as never), args.join(' ')).toBe(exit);
      expect(err.join(''), args.join(' ')).toMatch(message);
    }

    const badFile = path.join(path.dirname(file), 'bad.json');
    fs.writeFileSync(badFile, JSON.stringify({ family: 'gan', epochs: 0 }));
    err.length = 0;
    expect(await runCli(['train', badFile], io as never)).toBe(1);
    expect(err.join('')).toMatch(
      /^error: INVALID_ARGUMENT: invalid training spec: .*epochs must be at least 1/,
    );
  });
});

/** A stack.env naming this mesh, so the CLI never reads a developer's own .aimass/stack.env. */
function writeEnv(): string {
  const file = path.join(makeScratchDir('train-env'), 'stack.env');
  fs.writeFileSync(
    file,
    Object.entries(mesh.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  return file;
}
