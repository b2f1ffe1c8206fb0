import { tfjsTar } from '@aimass/testing/tfjs';
import { status, type ServiceError } from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary, type InferResponse, type OipClient } from './oip-client.js';
import { pushModel } from './registry-push.js';
import { startServing, type ServingMesh } from './serving-mesh.js';
import { tensorBytes } from './tfjs-model.js';

// tfjs-format versions pushed to the real registry and served by the real inference process, seen
// by a generic OIP v2 client: outputs bit for bit equal to model.predict in this process on the
// same backend (wasm, which the service picks first), alone and under dynamic batching.

const f32 = (rows: number, cols: number, seed: number) =>
  Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.91 + seed) * 2);
const raw = (a: Float32Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const shapeOf = (o: { shape: { toString(): string }[] }) => o.shape.map(String);

describe('serving tfjs-format models', () => {
  let serving: ServingMesh;
  let oip: OipClient;
  let dense: tf.Sequential;
  let pair: tf.LayersModel;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
    dense = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu', name: 'encode' }),
        tf.layers.dense({ units: 4, activation: 'tanh', name: 'latent' }),
        tf.layers.dense({ units: 8, activation: 'sigmoid', name: 'recon' }),
      ],
    });
    const features = tf.input({ shape: [4], name: 'features' });
    const ids = tf.input({ shape: [2], dtype: 'int32', name: 'ids' });
    const embedded = tf.layers
      .flatten()
      .apply(tf.layers.embedding({ inputDim: 5, outputDim: 3 }).apply(ids)) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate().apply([features, embedded]) as tf.SymbolicTensor;
    pair = tf.model({
      inputs: [features, ids],
      outputs: [
        tf.layers.dense({ units: 1, name: 'score' }).apply(joined) as tf.SymbolicTensor,
        tf.layers
          .dense({ units: 3, activation: 'softmax', name: 'probs' })
          .apply(joined) as tf.SymbolicTensor,
      ],
    });

    serving = await startServing({ env: { AIMASS_INFERENCE_MAX_BATCH_SIZE: '16' } });
    oip = serving.oip;
    await pushModel(serving.registry, 'tfjs-dense', await tfjsTar(dense, 2, 'dense/'), {
      format: 'tfjs',
      alias: 'production',
    });
    await pushModel(serving.registry, 'tfjs-pair', await tfjsTar(pair, 3), { format: 'tfjs' });
  });

  afterAll(async () => {
    await serving?.stop();
  });

  const predictDense = (x: Float32Array, rows: number) =>
    tf.tidy(() => tensorBytes(dense.predict(tf.tensor(x, [rows, 8])) as tf.Tensor));
  const denseRequest = (x: Float32Array, rows: number, id = '') => ({
    modelName: 'tfjs-dense',
    id,
    inputs: [{ name: 'encode_input', datatype: 'FP32', shape: [rows, 8] }],
    rawInputContents: [raw(x)],
  });

  it('describes the version with the signature the registry read from model.json', async () => {
    expect(await unary(oip, 'ModelReady', { name: 'tfjs-dense', version: '' })).toEqual({ ready: true });
    const meta = await unary<{
      name: string;
      versions: string[];
      platform: string;
      inputs: { name: string; datatype: string; shape: unknown[] }[];
      outputs: { name: string; datatype: string; shape: unknown[] }[];
    }>(oip, 'ModelMetadata', { name: 'tfjs-dense', version: '' });
    expect(meta).toMatchObject({ name: 'tfjs-dense', versions: ['1'], platform: 'tensorflowjs' });
    expect(meta.inputs.map((t) => [t.name, t.datatype, t.shape.map(String)])).toEqual([
      ['encode_input', 'FP32', ['-1', '8']],
    ]);
    expect(meta.outputs.map((t) => [t.name, t.datatype, t.shape.map(String)])).toEqual([
      ['recon', 'FP32', ['-1', '8']],
    ]);
  });

  it('answers bit for bit as model.predict, from raw and from typed contents', async () => {
    const x = f32(3, 8, 1);
    const expected = predictDense(x, 3);
    const res = await unary<InferResponse>(oip, 'ModelInfer', denseRequest(x, 3, 'r1'));
    expect(res).toMatchObject({ modelName: 'tfjs-dense', modelVersion: '1', id: 'r1' });
    expect(res.outputs.map((o) => [o.name, o.datatype, shapeOf(o)])).toEqual([['recon', 'FP32', ['3', '8']]]);
    expect(res.rawOutputContents[0]!.equals(expected)).toBe(true);

    const typed = await unary<InferResponse>(oip, 'ModelInfer', {
      modelName: 'tfjs-dense',
      modelVersion: 'production',
      inputs: [
        { name: 'encode_input', datatype: 'FP32', shape: [3, 8], contents: { fp32Contents: Array.from(x) } },
      ],
    });
    expect(typed.rawOutputContents[0]!.equals(expected)).toBe(true);
  });

  it('gives every caller its own rows, bit for bit, when concurrent requests are batched together', async () => {
    const requests = Array.from({ length: 24 }, (_, i) => ({
      rows: 1 + (i % 3),
      x: f32(1 + (i % 3), 8, 10 + i),
    }));
    const answers = await Promise.all(
      requests.map((r, i) => unary<InferResponse>(oip, 'ModelInfer', denseRequest(r.x, r.rows, `b${i}`))),
    );
    answers.forEach((res, i) => {
      expect(res.id).toBe(`b${i}`);
      expect(shapeOf(res.outputs[0]!)).toEqual([String(requests[i]!.rows), '8']);
      expect(
        res.rawOutputContents[0]!.equals(predictDense(requests[i]!.x, requests[i]!.rows)),
        `request ${i}`,
      ).toBe(true);
    });
    const stats = await unary<{
      modelStats: { inferenceCount: { toString(): string }; executionCount: { toString(): string } }[];
    }>(oip, 'ModelStatistics', { name: 'tfjs-dense', version: '1' });
    // Every row was counted, in no more executions than requests (fewer when batches formed).
    expect(Number(stats.modelStats[0]!.executionCount.toString())).toBeGreaterThan(0);
    expect(Number(stats.modelStats[0]!.inferenceCount.toString())).toBeGreaterThanOrEqual(
      requests.reduce((n, r) => n + r.rows, 0),
    );
  });

  it('serves a model with FP32 and INT32 inputs and two outputs, and output subsets', async () => {
    const x = f32(2, 4, 3);
    const ids = Int32Array.of(0, 4, 2, 1);
    const [score, probs] = tf.tidy(() =>
      (pair.predict([tf.tensor(x, [2, 4]), tf.tensor(ids, [2, 2], 'int32')]) as tf.Tensor[]).map(tensorBytes),
    );
    const inputs = [
      { name: 'ids', datatype: 'INT32', shape: [2, 2] },
      { name: 'features', datatype: 'FP32', shape: [2, 4] },
    ];
    const all = await unary<InferResponse>(oip, 'ModelInfer', {
      modelName: 'tfjs-pair',
      inputs,
      rawInputContents: [raw(ids), raw(x)],
    });
    expect(all.outputs.map((o) => [o.name, shapeOf(o)])).toEqual([
      ['score', ['2', '1']],
      ['probs', ['2', '3']],
    ]);
    expect(all.rawOutputContents[0]!.equals(score!)).toBe(true);
    expect(all.rawOutputContents[1]!.equals(probs!)).toBe(true);

    const subset = await unary<InferResponse>(oip, 'ModelInfer', {
      modelName: 'tfjs-pair',
      inputs,
      outputs: [{ name: 'probs' }],
      rawInputContents: [raw(ids), raw(x)],
    });
    expect(subset.outputs.map((o) => o.name)).toEqual(['probs']);
    expect(subset.rawOutputContents).toHaveLength(1);
    expect(subset.rawOutputContents[0]!.equals(probs!)).toBe(true);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    [
      'a wrong width',
      {
        modelName: 'tfjs-dense',
        inputs: [{ name: 'encode_input', datatype: 'FP32', shape: [1, 7] }],
        rawInputContents: [Buffer.alloc(28)],
      },
      'input "encode_input": shape [1, 7] does not match the model\'s [-1, 8]',
    ],
    [
      'a wrong datatype',
      {
        modelName: 'tfjs-dense',
        inputs: [{ name: 'encode_input', datatype: 'INT32', shape: [1, 8] }],
        rawInputContents: [Buffer.alloc(32)],
      },
      'input "encode_input": datatype INT32 does not match the model\'s FP32',
    ],
    [
      'a missing input',
      {
        modelName: 'tfjs-pair',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4] }],
        rawInputContents: [Buffer.alloc(16)],
      },
      'missing input "ids"',
    ],
    [
      'an unknown output',
      {
        modelName: 'tfjs-pair',
        inputs: [
          { name: 'features', datatype: 'FP32', shape: [1, 4] },
          { name: 'ids', datatype: 'INT32', shape: [1, 2] },
        ],
        outputs: [{ name: 'logits' }],
        rawInputContents: [Buffer.alloc(16), Buffer.alloc(8)],
      },
      'unknown requested output "logits"; the model\'s outputs are score, probs',
    ],
  ];
  it.each(bad)('refuses %s with INVALID_ARGUMENT, and keeps serving', async (_what, req, message) => {
    const err = (await unary(oip, 'ModelInfer', req).catch((e: ServiceError) => e)) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain(message);
    const x = f32(1, 8, 7);
    expect(
      (await unary<InferResponse>(oip, 'ModelInfer', denseRequest(x, 1))).rawOutputContents[0]!.equals(
        predictDense(x, 1),
      ),
    ).toBe(true);
  });
});
