import type { registryv1 } from '@aimass/contracts';
import { exportAutoencoder, exportIdentityModel, randomDenseNetwork } from '@aimass/onnx';
import { onnx } from '@aimass/tensors';
import { makeScratchDir } from '@aimass/testing';
import { status } from '@grpc/grpc-js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../../cli/test/capture-io.js';
import { runCli } from '../../../cli/src/program.js';
import {
  download,
  failure,
  pieces,
  push,
  startRegistry,
  unary,
  type RegistryUnderTest,
} from './registry-harness.js';
import { tfjsLayersArtifact } from './tfjs-artifact.js';

// ConvertModelVersion over gRPC and `aimass models convert`, against a real registry process: the
// copies run in onnxruntime inside the registry, and every refusal leaves the versions unchanged.

const WIDTH = 64;
let t: RegistryUnderTest;
const tmp = makeScratchDir('registry-convert');

/** An AE anomaly scorer shaped like the trainer's export (scaling, Gemm layers, score, threshold). */
const scorer = Buffer.from(
  exportAutoencoder({
    kind: 'ae',
    inputDim: WIDTH,
    latentDim: 8,
    encoder: randomDenseNetwork({ inputDim: WIDTH, hidden: [48], outputDim: 8, seed: 5, activation: 'relu' })
      .layers,
    decoder: randomDenseNetwork({ inputDim: 8, hidden: [48], outputDim: WIDTH, seed: 6, activation: 'relu' })
      .layers,
    scaling: { offset: new Float32Array(WIDTH).fill(10), scale: new Float32Array(WIDTH).fill(0.25) },
    threshold: 1,
  }).anomaly,
);

const statistics: registryv1.ReferenceStatistics = {
  sample_count: 500,
  features: Array.from({ length: WIDTH }, (_, i) => ({
    name: `f${i}`,
    count: 500,
    mean: 10 + (i % 5),
    stddev: 2,
    min: 0,
    max: 20,
  })),
};

function csv(columns: number, rows: number): Buffer {
  const header = Array.from({ length: columns }, (_, i) => `f${i}`).join(',');
  const lines = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: columns }, (_, c) => (8 + ((r * 7 + c * 3) % 11) * 0.5).toFixed(2)).join(','),
  );
  return Buffer.from([header, ...lines].join('\n') + '\n');
}

function pushDataset(name: string, bytes: Buffer): Promise<registryv1.Dataset__Output> {
  return new Promise((resolve, reject) => {
    const call = t.client.PushDataset((err, res) => (err ? reject(err) : resolve(res!)));
    call.write({ header: { name, format: 'csv' } });
    call.write({ chunk: bytes });
    call.end();
  });
}

const convert = (request: registryv1.ConvertModelVersionRequest) =>
  unary<registryv1.ConvertModelVersionResponse__Output>((cb) => t.client.ConvertModelVersion(request, cb));

async function versionCount(model: string): Promise<number> {
  const list = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
    t.client.ListVersions({ model, include_deleted: true }, cb),
  );
  return list.versions.length;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo({ AIMASS_STACK_ENV: path.join(tmp, 'no-stack.env') });
  const code = await runCli(['--registry', t.registry.address, ...args], io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  t = await startRegistry();
  await push(t.client, { model: 'scorer', format: 'onnx' }, pieces(scorer));
  await unary((cb) => t.client.SetReferenceStatistics({ model: 'scorer', version: 1, statistics }, cb));
  await pushDataset('scorer-rows', csv(WIDTH, 300));
  await pushDataset('narrow-rows', csv(WIDTH - 1, 20));
  await push(t.client, { model: 'bare', format: 'onnx' }, pieces(scorer));
  await push(
    t.client,
    { model: 'identity', format: 'onnx' },
    pieces(exportIdentityModel({ datatype: 'FP32', shape: [-1, WIDTH - 1] })),
  );
  await push(t.client, { model: 'layers', format: 'tfjs' }, pieces((await tfjsLayersArtifact()).tar));
}, 60_000);
afterAll(async () => t?.stop());

describe('aimass models convert', () => {
  it('writes an fp16 copy as the next version, with lineage, the same signature and the source statistics', async () => {
    const run = await cli('models', 'convert', 'scorer', '1', '--to', 'fp16');
    expect(run.err).toMatch(/size:\s+31\d{3} → 1\d{4} bytes \(1\.\d\dx smaller\)/);
    expect(run.err).toMatch(/calibration:\s+256 rows from reference statistics/);
    expect(run.err).toMatch(
      /converted:\s+scorer@1 → version 2 \(fp16\)\n[^]*output reconstruction:\s+max 0\.\d+%, mean 0\.\d+% relative difference/,
    );
    expect(run).toMatchObject({ code: 0, out: '2\n' });

    const [source, copy] = await Promise.all(
      ['1', '2'].map((v) =>
        unary<registryv1.ModelVersion__Output>((cb) =>
          t.client.GetVersion({ model: 'scorer', version: v }, cb),
        ),
      ),
    );
    expect(copy!.lineage).toMatchObject({
      converted_from: 'scorer@1',
      conversion: 'fp16',
      parent_version: 1,
    });
    expect(copy!.lineage!.metrics.source_size_bytes).toBe(scorer.length);
    expect(copy!.signature).toEqual(source!.signature);
    expect(copy!.has_reference_statistics).toBe(true);
    const { bytes } = await download(t.client, 'scorer', '2');
    const types = (onnx.ModelProto.decode(bytes).graph as onnx.GraphProto).initializer.map((i) => i.dataType);
    expect(types).toContain(onnx.TensorProto.DataType.FLOAT16);
    expect(types).not.toContain(onnx.TensorProto.DataType.FLOAT);
  });

  it('quantises to int8 against a registered dataset and reports the difference on its rows', async () => {
    const report = await convert({
      model: 'scorer',
      version: '1',
      to: 'int8-dynamic',
      calibration_dataset: 'scorer-rows',
    });
    expect(report.calibration).toBe('dataset scorer-rows v1');
    expect(report.calibration_rows).toBe(256);
    expect(Number(report.source_size_bytes) / Number(report.size_bytes)).toBeGreaterThan(2);
    expect(report.outputs.map((o) => o.name).sort()).toEqual(['latent', 'reconstruction', 'score']);
    const reconstruction = report.outputs.find((o) => o.name === 'reconstruction')!;
    expect(reconstruction.mean_relative).toBeGreaterThan(0);
    expect(reconstruction.mean_relative).toBeLessThan(0.05);
    expect(report.mean_relative).toBeGreaterThanOrEqual(reconstruction.mean_relative);
    expect(report.version!.lineage).toMatchObject({ converted_from: 'scorer@1', conversion: 'int8-dynamic' });
    const { bytes } = await download(t.client, 'scorer', String(report.version!.version));
    const graph = onnx.ModelProto.decode(bytes).graph as onnx.GraphProto;
    expect(graph.node.filter((n) => n.opType === 'MatMulInteger')).toHaveLength(4);
    expect(
      graph.initializer.filter((i) => i.dataType === onnx.TensorProto.DataType.INT8).length,
    ).toBeGreaterThanOrEqual(4);
  });

  it('quantises to static int8 (QDQ) with ranges calibrated on the dataset rows', async () => {
    const run = await cli(
      'models',
      'convert',
      'scorer',
      '1',
      '--to',
      'int8-static',
      '--calibration',
      'scorer-rows@1',
    );
    expect(run.err).toMatch(/calibration:\s+256 rows from dataset scorer-rows v1/);
    expect(run.code).toBe(0);
    const version = run.out.trim();
    const copy = await unary<registryv1.ModelVersion__Output>((cb) =>
      t.client.GetVersion({ model: 'scorer', version }, cb),
    );
    expect(copy.lineage).toMatchObject({ converted_from: 'scorer@1', conversion: 'int8-static' });
    expect(copy.lineage!.metrics.mean_relative_difference).toBeLessThan(0.05);
    const { bytes } = await download(t.client, 'scorer', version);
    const ops = (onnx.ModelProto.decode(bytes).graph as onnx.GraphProto).node.map((n) => n.opType);
    expect(ops.filter((op) => op === 'QuantizeLinear')).toHaveLength(4);
  });

  it('refuses a missing --to before calling the registry', async () => {
    const run = await cli('models', 'convert', 'scorer', '1');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/--to/);
  });
});

describe('ConvertModelVersion refusals', () => {
  it.each([
    ['an unknown model', { model: 'nobody', version: '1', to: 'fp16' }, status.NOT_FOUND, /nobody/],
    ['an unknown version', { model: 'scorer', version: '99', to: 'fp16' }, status.NOT_FOUND, /no version 99/],
    [
      'an unknown target',
      { model: 'scorer', version: '1', to: 'int4' },
      status.INVALID_ARGUMENT,
      /unknown conversion target "int4"; use one of fp16, int8-dynamic, int8-static, onnx/,
    ],
    [
      'a tfjs version',
      { model: 'layers', version: '1', to: 'fp16' },
      status.FAILED_PRECONDITION,
      /in format tfjs; only ONNX versions can be compressed/,
    ],
    [
      'an unknown dataset',
      { model: 'scorer', version: '1', to: 'fp16', calibration_dataset: 'nothing' },
      status.NOT_FOUND,
      /no dataset is named "nothing"/,
    ],
    [
      'a dataset of the wrong width',
      { model: 'scorer', version: '1', to: 'fp16', calibration_dataset: 'narrow-rows' },
      status.FAILED_PRECONDITION,
      /has 63 feature columns but input "x" takes 64/,
    ],
    [
      'no dataset and no reference statistics',
      { model: 'bare', version: '1', to: 'fp16' },
      status.FAILED_PRECONDITION,
      /no reference statistics.*calibration dataset/,
    ],
    [
      'int8 on a model without weights',
      { model: 'identity', version: '1', to: 'int8-dynamic', calibration_dataset: 'narrow-rows' },
      status.FAILED_PRECONDITION,
      /cannot become int8-dynamic: .*nothing to quantise/,
    ],
  ] as const)('refuses %s, writing nothing', async (_, request, code, message) => {
    const before = await versionCount(request.model).catch(() => 0);
    const error = await failure(convert(request));
    expect(error.code).toBe(code);
    expect(error.details).toMatch(message);
    expect(await versionCount(request.model).catch(() => 0)).toBe(before);
  });
});
