import type { registryv1 } from '@aimass/contracts';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  failure,
  pieces,
  push,
  sha256,
  startRegistry,
  unary,
  type RegistryUnderTest,
} from './registry-harness.js';
import { packTar } from '@aimass/testing/tfjs';

// Reference statistics, lineage on push, and a TF.js graph model.

let t: RegistryUnderTest;
const onnx = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 3, hidden: [4], outputDim: 2, seed: 21, activation: 'relu' }),
  ),
);

const statistics: registryv1.ReferenceStatistics = {
  sample_count: 1000,
  computed_at: '2025-01-01T00:00:00Z',
  features: [
    {
      name: 'amount',
      count: 1000,
      mean: 12.5,
      stddev: 3,
      min: 1,
      max: 40,
      quantiles: [
        { q: 0.5, value: 12 },
        { q: 0.99, value: 35 },
      ],
      histogram: { edges: [0, 10, 20, 40], counts: [300, 600, 100] },
    },
    { name: 'age', count: 1000, mean: 41, stddev: 9, min: 18, max: 90 },
  ],
};

beforeAll(async () => {
  t = await startRegistry();
});
afterAll(async () => {
  await t?.stop();
});

describe('reference statistics', () => {
  it('are attached with SetReferenceStatistics and read back over gRPC', async () => {
    await push(t.client, { model: 'drifty', format: 'onnx' }, pieces(onnx));
    const none = await failure(
      unary((cb) => t.client.GetReferenceStatistics({ model: 'drifty', version: '1' }, cb)),
    );
    expect(none.code).toBe(status.NOT_FOUND);
    expect(none.details).toMatch(/has no reference statistics; attach them with SetReferenceStatistics/);

    const version = await unary<registryv1.ModelVersion__Output>((cb) =>
      t.client.SetReferenceStatistics({ model: 'drifty', version: 1, statistics }, cb),
    );
    expect(version.version).toBe(1);
    const back = await unary<registryv1.ReferenceStatistics__Output>((cb) =>
      t.client.GetReferenceStatistics({ model: 'drifty', version: '1' }, cb),
    );
    expect(Number(back.sample_count)).toBe(1000);
    expect(back.features.map((f) => f.name)).toEqual(['amount', 'age']);
    expect(back.features[0]!.quantiles).toEqual([
      { q: 0.5, value: 12 },
      { q: 0.99, value: 35 },
    ]);
    expect(back.features[0]!.histogram?.edges).toEqual([0, 10, 20, 40]);
    expect(back.features[0]!.histogram?.counts.map(Number)).toEqual([300, 600, 100]);

    // The empty selector means production, else latest.
    const bySelector = await unary<registryv1.ReferenceStatistics__Output>((cb) =>
      t.client.GetReferenceStatistics({ model: 'drifty', version: '' }, cb),
    );
    expect(Number(bySelector.sample_count)).toBe(1000);
    expect(bySelector.features.map((f) => [f.name, f.mean])).toEqual([
      ['amount', 12.5],
      ['age', 41],
    ]);

    // Replacing them keeps only the new ones.
    await unary((cb) =>
      t.client.SetReferenceStatistics(
        { model: 'drifty', version: 1, statistics: { features: [{ name: 'only' }] } },
        cb,
      ),
    );
    const replaced = await unary<registryv1.ReferenceStatistics__Output>((cb) =>
      t.client.GetReferenceStatistics({ model: 'drifty', version: '1' }, cb),
    );
    expect(replaced.features.map((f) => f.name)).toEqual(['only']);
  });

  it('can come with the push itself', async () => {
    const v = await push(
      t.client,
      { model: 'drifty-pushed', format: 'onnx', reference_statistics: statistics },
      pieces(onnx),
    );
    const back = await unary<registryv1.ReferenceStatistics__Output>((cb) =>
      t.client.GetReferenceStatistics({ model: 'drifty-pushed', version: String(v.version) }, cb),
    );
    expect(back.features).toHaveLength(2);
  });

  it.each<[string, registryv1.SetReferenceStatisticsRequest, number, RegExp]>([
    [
      'no features',
      { model: 'drifty', version: 1, statistics: { features: [] } },
      status.INVALID_ARGUMENT,
      /at least one feature/,
    ],
    [
      'a feature without a name',
      { model: 'drifty', version: 1, statistics: { features: [{ mean: 1 }] } },
      status.INVALID_ARGUMENT,
      /every feature needs a name/,
    ],
    [
      'a quantile level of 2',
      {
        model: 'drifty',
        version: 1,
        statistics: { features: [{ name: 'a', quantiles: [{ q: 2, value: 1 }] }] },
      },
      status.INVALID_ARGUMENT,
      /within 0\.\.1/,
    ],
    [
      'a histogram with as many edges as counts',
      {
        model: 'drifty',
        version: 1,
        statistics: { features: [{ name: 'a', histogram: { edges: [0, 1], counts: [1, 2] } }] },
      },
      status.INVALID_ARGUMENT,
      /one more edge than counts/,
    ],
    [
      'a version that does not exist',
      { model: 'drifty', version: 9, statistics: { features: [{ name: 'a' }] } },
      status.NOT_FOUND,
      /has no version 9/,
    ],
    [
      'a model that does not exist',
      { model: 'nobody', version: 1, statistics: { features: [{ name: 'a' }] } },
      status.NOT_FOUND,
      /nobody/,
    ],
  ])('refuses %s', async (_what, request, code, message) => {
    const err = await failure(unary((cb) => t.client.SetReferenceStatistics(request, cb)));
    expect(err.code).toBe(code);
    expect(err.details).toMatch(message);
  });
});

describe('lineage on push', () => {
  it('is stored with the version, and parent_version must name an existing version', async () => {
    const lineage: registryv1.Lineage = {
      source_job_id: 'job-17',
      study_id: 'study-3',
      dataset_digest: 'sha256:' + 'c'.repeat(64),
      hyperparameters: { lr: '0.001', layers: '3' },
      metrics: { val_loss: 0.125 },
    };
    const first = await push(t.client, { model: 'lineaged', format: 'onnx', lineage }, pieces(onnx));
    const child = await push(
      t.client,
      {
        model: 'lineaged',
        format: 'onnx',
        lineage: { ...lineage, source_job_id: 'job-18', parent_version: first.version },
      },
      pieces(onnx),
    );
    const shown = await unary<registryv1.ModelVersion__Output>((cb) =>
      t.client.GetVersion({ model: 'lineaged', version: String(child.version) }, cb),
    );
    expect(shown.lineage).toMatchObject({
      source_job_id: 'job-18',
      study_id: 'study-3',
      hyperparameters: { lr: '0.001', layers: '3' },
      metrics: { val_loss: 0.125 },
      parent_version: first.version,
    });

    const orphan = await failure(
      push(t.client, { model: 'lineaged', format: 'onnx', lineage: { parent_version: 42 } }, pieces(onnx)),
    );
    expect(orphan.code).toBe(status.INVALID_ARGUMENT);
    expect(orphan.details).toMatch(/parent_version 42: model "lineaged" has no such version/);
    const foreign = await failure(
      push(t.client, { model: 'lineage-new', format: 'onnx', lineage: { parent_version: 1 } }, pieces(onnx)),
    );
    expect(foreign.code).toBe(status.INVALID_ARGUMENT);
    const { versions } = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
      t.client.ListVersions({ model: 'lineaged' }, cb),
    );
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
  });
});

describe('a TF.js graph model', () => {
  const weights = Buffer.from(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
  const graphModel = (signature: unknown) => ({
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { node: [], library: {}, versions: {} },
    signature,
    weightsManifest: [
      { paths: ['group1-shard1of1.bin'], weights: [{ name: 'w', shape: [2, 3], dtype: 'float32' }] },
    ],
  });
  const signature = {
    inputs: {
      'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '2' }] } },
    },
    outputs: {
      'Identity:0': {
        name: 'Identity:0',
        dtype: 'DT_FLOAT',
        tensorShape: { dim: [{ size: '-1' }, { size: '3' }] },
      },
    },
  };

  it('round-trips with its signature read from model.json', async () => {
    const tar = await packTar({
      'model.json': Buffer.from(JSON.stringify(graphModel(signature))),
      'group1-shard1of1.bin': weights,
    });
    const v = await push(
      t.client,
      { model: 'graphy', format: 'tfjs', sha256: sha256(tar) },
      pieces(tar, 100),
    );
    expect(v.format).toBe('tfjs');
    const specs = (list: registryv1.TensorSpec__Output[] = []) =>
      list.map((s) => [s.name, s.datatype, s.shape.map(Number)]);
    expect(specs(v.signature?.inputs)).toEqual([['x:0', 'FP32', [-1, 2]]]);
    expect(specs(v.signature?.outputs)).toEqual([['Identity:0', 'FP32', [-1, 3]]]);
    const back = await download(t.client, 'graphy', String(v.version));
    expect(sha256(back.bytes)).toBe(sha256(tar));
  });

  it.each<[string, unknown, RegExp]>([
    ['no signature', undefined, /the graph model has no signature/],
    ['no outputs', { inputs: signature.inputs, outputs: {} }, /the graph model has no signature/],
    [
      'a complex input',
      { inputs: { c: { name: 'c', dtype: 'DT_COMPLEX64' } }, outputs: signature.outputs },
      /tensor "c" has dtype DT_COMPLEX64/,
    ],
    [
      'an input of unknown rank',
      {
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { unknownRank: true } } },
        outputs: signature.outputs,
      },
      /tensor "x" has no shape \(unknown rank\)/,
    ],
    [
      'an output without a shape',
      { inputs: signature.inputs, outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT' } } },
      /tensor "y" has no shape \(unknown rank\)/,
    ],
  ])('is refused with %s', async (_what, sig, message) => {
    const tar = await packTar({
      'model.json': Buffer.from(JSON.stringify(graphModel(sig))),
      'group1-shard1of1.bin': weights,
    });
    const err = await failure(push(t.client, { model: 'graphy-bad', format: 'tfjs' }, pieces(tar)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
  });
});

describe("a training job's version", () => {
  it('is registered once, however often and however concurrently the job pushes it', async () => {
    const header = { model: 'once', format: 'onnx', lineage: { source_job_id: 'job-twice' } };
    // Six pushes of one job at once (a redelivered job on two nodes, retries): one commits, every
    // other one gets that version or ABORTED while the first holds the job's claim.
    const settled = await Promise.allSettled(
      Array.from({ length: 6 }, () => push(t.client, header, pieces(onnx))),
    );
    const versions = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.version] : []));
    expect(versions.length).toBeGreaterThan(0);
    expect(new Set(versions)).toEqual(new Set([1]));
    for (const s of settled) {
      if (s.status === 'rejected') {
        expect((s.reason as { code: number }).code).toBe(status.ABORTED);
        expect((s.reason as { details: string }).details).toMatch(
          /job job-twice is registering a version of "once"/,
        );
      }
    }
    // A retry once the first has committed gets its version back.
    expect((await push(t.client, header, pieces(onnx))).version).toBe(1);
    // Another job gets a version of its own.
    const other = await push(t.client, { ...header, lineage: { source_job_id: 'job-other' } }, pieces(onnx));
    expect(other.version).toBe(2);
    const listed = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
      t.client.ListVersions({ model: 'once' }, cb),
    );
    expect(listed.versions.map((v) => [v.version, v.lineage?.source_job_id])).toEqual([
      [1, 'job-twice'],
      [2, 'job-other'],
    ]);
  });
});
