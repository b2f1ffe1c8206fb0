import type { Signature } from '@aimass/contracts';
import { FailedPreconditionError, InvalidArgumentError } from '@aimass/errors';
import { Logger } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { packTar, tfjsTar } from '@aimass/testing/tfjs';
import { tensorBytes } from '../../test/tfjs-model.js';
import type { NamedTensor } from '../types.js';
import { selectServingBackend, TfjsRepository } from './tfjs.repository.js';

// Real tfjs on the backend the repository picks: a model built here, saved as the registry's tar,
// opened by the repository, must answer bit for bit what model.predict answers in this process.

const repo = new TfjsRepository();
const bytesOf = (d: ArrayBufferView) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
const fp32 = (name: string, rows: number, cols: number, seed = 1): NamedTensor => ({
  name,
  datatype: 'FP32',
  shape: [rows, cols],
  data: Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 1.37 + seed) * 3),
});

describe('TfjsRepository and TfjsRunner', () => {
  let backend: string;
  beforeAll(async () => {
    backend = await selectServingBackend(tf, new Logger('TfjsRepository'));
    expect(tf.getBackend()).toBe(backend);
  });

  describe('a sequential layers model', () => {
    let model: tf.Sequential;
    const signature: Signature = {
      inputs: [{ name: 'hidden_input', datatype: 'FP32', shape: [-1, 6] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 3] }],
    };
    beforeAll(() => {
      model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', name: 'hidden' }),
          tf.layers.dense({ units: 3, name: 'scores' }),
        ],
      });
    });

    it('answers bit for bit as predict does, holds no tensor after a run, and frees its weights on close', async () => {
      const before = tf.memory().numTensors;
      const instance = await repo.open(await tfjsTar(model, 2, 'saved/'), 'model "m" version 1', signature);
      const loaded = tf.memory().numTensors;
      expect(loaded).toBeGreaterThan(before);
      expect(instance.outputNames).toEqual(['scores']);

      const x = fp32('hidden_input', 4, 6);
      const [out] = await instance.run([x], []);
      const expected = tf.tidy(() =>
        tensorBytes(model.predict(tf.tensor(x.data as Float32Array, x.shape)) as tf.Tensor),
      );
      expect(out).toMatchObject({ name: 'scores', datatype: 'FP32', shape: [4, 3] });
      expect(bytesOf(out!.data as Float32Array).equals(expected)).toBe(true);

      // Rows do not depend on the batch they run in, so the dynamic batcher may merge requests.
      const [head] = await instance.run(
        [{ ...x, shape: [1, 6], data: (x.data as Float32Array).subarray(0, 6) }],
        ['scores'],
      );
      expect(bytesOf(head!.data as Float32Array).equals(expected.subarray(0, 12))).toBe(true);

      expect(tf.memory().numTensors).toBe(loaded);
      await instance.close();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('refuses bad input with INVALID_ARGUMENT and leaks no tensor', async () => {
      const instance = await repo.open(await tfjsTar(model, 1), 'model "m" version 1', signature);
      const loaded = tf.memory().numTensors;
      const cases: [string, NamedTensor, RegExp][] = [
        [
          'too few columns',
          fp32('hidden_input', 2, 5),
          /the model rejected the request: .*hidden_input.*shape/,
        ],
        [
          'a datatype the model does not take',
          { name: 'hidden_input', datatype: 'INT32', shape: [1, 6], data: new Int32Array(6) },
          /input "hidden_input" is int32; the model takes float32/,
        ],
        ['no input at all', fp32('other', 1, 6), /missing input "hidden_input"/],
      ];
      for (const [what, input, message] of cases) {
        const err = await instance.run([input], []).catch((e: unknown) => e);
        expect(err, what).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message, what).toMatch(message);
        expect(tf.memory().numTensors, what).toBe(loaded);
      }
      await instance.close();
    });

    it('refuses at load what it cannot serve, with FAILED_PRECONDITION', async () => {
      const good = await tfjsTar(model, 2);
      const before = tf.memory().numTensors;
      const cases: [string, Uint8Array, Signature, RegExp][] = [
        [
          'a signature naming a tensor the model lacks',
          good,
          { ...signature, outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 3] }] },
          /no tensor named "logits" \(its inputs are hidden_input; its outputs scores\)/,
        ],
        [
          'a datatype tfjs cannot take',
          good,
          { ...signature, inputs: [{ name: 'hidden_input', datatype: 'FP64', shape: [-1, 6] }] },
          /tensor "hidden_input" is FP64; tfjs models can be served with FP32, INT32 and BOOL/,
        ],
        [
          'bytes that are not a tar',
          Buffer.from('{"modelTopology":{}}'.repeat(40)),
          signature,
          /not a readable tar|no model\.json/,
        ],
        [
          'a tar without model.json',
          await packTar({ 'weights.bin': Buffer.alloc(16) }),
          signature,
          /the tar holds no model\.json/,
        ],
        [
          'a tar missing a shard',
          await packTar({
            'model.json': Buffer.from(
              JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['a.bin'], weights: [] }] }),
            ),
          }),
          signature,
          /names the weight file "a.bin", which is not in the tar/,
        ],
      ];
      for (const [what, bytes, sig, message] of cases) {
        const err = await repo.open(bytes, 'model "m" version 2', sig).catch((e: unknown) => e);
        expect(err, what).toBeInstanceOf(FailedPreconditionError);
        expect((err as Error).message, what).toMatch(
          /^model "m" version 2 cannot be (loaded as a tfjs model|served by tfjs): /,
        );
        expect((err as Error).message, what).toMatch(message);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  it('serves a functional model with an INT32 input and two outputs, by signature names, in any order, with output subsets', async () => {
    const features = tf.input({ shape: [4], name: 'features' });
    const ids = tf.input({ shape: [3], dtype: 'int32', name: 'ids' });
    const embedded = tf.layers
      .flatten()
      .apply(tf.layers.embedding({ inputDim: 10, outputDim: 2 }).apply(ids)) as tf.SymbolicTensor;
    const joined = tf.layers
      .concatenate()
      .apply([
        tf.layers.dense({ units: 3, activation: 'tanh' }).apply(features) as tf.SymbolicTensor,
        embedded,
      ]) as tf.SymbolicTensor;
    const score = tf.layers.dense({ units: 1, name: 'score' }).apply(joined) as tf.SymbolicTensor;
    const probs = tf.layers
      .dense({ units: 3, activation: 'softmax', name: 'probs' })
      .apply(joined) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [features, ids], outputs: [score, probs] });
    // The registry records the input and output layers; here in an order unlike the model's.
    const signature: Signature = {
      inputs: [
        { name: 'ids', datatype: 'INT32', shape: [-1, 3] },
        { name: 'features', datatype: 'FP32', shape: [-1, 4] },
      ],
      outputs: [
        { name: 'probs', datatype: 'FP32', shape: [-1, 3] },
        { name: 'score', datatype: 'FP32', shape: [-1, 1] },
      ],
    };
    const instance = await repo.open(await tfjsTar(model, 3), 'model "f" version 1', signature);
    const loaded = tf.memory().numTensors;
    expect(instance.outputNames).toEqual(['probs', 'score']);

    const x = fp32('features', 5, 4);
    const idx: NamedTensor = {
      name: 'ids',
      datatype: 'INT32',
      shape: [5, 3],
      data: Int32Array.from({ length: 15 }, (_, i) => (i * 7) % 10),
    };
    const [expScore, expProbs] = tf.tidy(() =>
      (
        model.predict([
          tf.tensor(x.data as Float32Array, x.shape),
          tf.tensor(idx.data as Int32Array, idx.shape, 'int32'),
        ]) as tf.Tensor[]
      ).map(tensorBytes),
    );

    const all = await instance.run([idx, x], []);
    expect(all.map((o) => [o.name, o.shape])).toEqual([
      ['probs', [5, 3]],
      ['score', [5, 1]],
    ]);
    expect(bytesOf(all[0]!.data as Float32Array).equals(expProbs!)).toBe(true);
    expect(bytesOf(all[1]!.data as Float32Array).equals(expScore!)).toBe(true);

    const subset = await instance.run([x, idx], ['score']);
    expect(subset.map((o) => o.name)).toEqual(['score']);
    expect(bytesOf(subset[0]!.data as Float32Array).equals(expScore!)).toBe(true);
    expect(tf.memory().numTensors).toBe(loaded);
    await instance.close();
  });

  it('serves a graph model (model.json with a signature) by its signature tensor names', async () => {
    const w = Float32Array.from({ length: 6 }, (_, i) => (i - 2.5) / 3);
    const dim = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
    const node = (name: string, op: string, input: string[], attr: object = { T: { type: 'DT_FLOAT' } }) => ({
      name,
      op,
      input,
      attr,
    });
    const modelJson = {
      format: 'graph-model',
      generatedBy: 'aimass test',
      convertedBy: 'hand',
      modelTopology: {
        node: [
          {
            name: 'x',
            op: 'Placeholder',
            attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim(-1, 3) } },
          },
          {
            name: 'w',
            op: 'Const',
            attr: {
              dtype: { type: 'DT_FLOAT' },
              value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim(3, 2) } },
            },
          },
          node('MatMul', 'MatMul', ['x', 'w'], {
            T: { type: 'DT_FLOAT' },
            transpose_a: { b: false },
            transpose_b: { b: false },
          }),
          node('Identity', 'Identity', ['MatMul']),
          node('Relu', 'Relu', ['MatMul']),
        ],
        library: {},
        versions: { producer: 1 },
      },
      signature: {
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dim(-1, 3) } },
        outputs: {
          y: { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: dim(-1, 2) },
          r: { name: 'Relu:0', dtype: 'DT_FLOAT', tensorShape: dim(-1, 2) },
        },
      },
      weightsManifest: [
        { paths: ['group1-shard1of1.bin'], weights: [{ name: 'w', shape: [3, 2], dtype: 'float32' }] },
      ],
    };
    const tarBytes = await packTar({
      'model.json': Buffer.from(JSON.stringify(modelJson)),
      'group1-shard1of1.bin': bytesOf(w),
    });
    // What the registry records for it: the signature's tensor names.
    const signature: Signature = {
      inputs: [{ name: 'x:0', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [
        { name: 'Identity:0', datatype: 'FP32', shape: [-1, 2] },
        { name: 'Relu:0', datatype: 'FP32', shape: [-1, 2] },
      ],
    };
    const before = tf.memory().numTensors;
    const instance = await repo.open(tarBytes, 'model "g" version 1', signature);
    const loaded = tf.memory().numTensors;
    const x = fp32('x:0', 4, 3);
    const [expY, expR] = tf.tidy(() => {
      const y = tf.matMul(tf.tensor(x.data as Float32Array, x.shape), tf.tensor(w, [3, 2]));
      return [tensorBytes(y), tensorBytes(tf.relu(y))];
    });
    const all = await instance.run([x], []);
    expect(all.map((o) => [o.name, o.shape])).toEqual([
      ['Identity:0', [4, 2]],
      ['Relu:0', [4, 2]],
    ]);
    expect(bytesOf(all[0]!.data as Float32Array).equals(expY!)).toBe(true);
    expect(bytesOf(all[1]!.data as Float32Array).equals(expR!)).toBe(true);
    const [r] = await instance.run([x], ['Relu:0']);
    expect(bytesOf(r!.data as Float32Array).equals(expR!)).toBe(true);
    expect(tf.memory().numTensors).toBe(loaded);
    await instance.close();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs a graph model with a dynamic op (executeAsync) and leaks no tensor', async () => {
    const dim = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
    const modelJson = {
      format: 'graph-model',
      modelTopology: {
        node: [
          {
            name: 'x',
            op: 'Placeholder',
            attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dim(-1, 3) } },
          },
          {
            name: 'zero',
            op: 'Const',
            attr: {
              dtype: { type: 'DT_FLOAT' },
              value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dim() } },
            },
          },
          { name: 'Greater', op: 'Greater', input: ['x', 'zero'], attr: { T: { type: 'DT_FLOAT' } } },
          { name: 'Where', op: 'Where', input: ['Greater'], attr: { T: { type: 'DT_BOOL' } } },
        ],
        versions: { producer: 1 },
      },
      signature: {
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dim(-1, 3) } },
        outputs: { positive: { name: 'Where:0', dtype: 'DT_INT32', tensorShape: dim(-1, 2) } },
      },
      weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'zero', shape: [], dtype: 'float32' }] }],
    };
    const tarBytes = await packTar({
      'model.json': Buffer.from(JSON.stringify(modelJson)),
      'w.bin': Buffer.alloc(4),
    });
    const signature: Signature = {
      inputs: [{ name: 'x:0', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'Where:0', datatype: 'INT32', shape: [-1, 2] }],
    };
    const instance = await repo.open(tarBytes, 'model "w" version 1', signature);
    const loaded = tf.memory().numTensors;
    const x: NamedTensor = {
      name: 'x:0',
      datatype: 'FP32',
      shape: [2, 3],
      data: Float32Array.of(1, -1, 2, -3, 0, 4),
    };
    for (let i = 0; i < 2; i++) {
      const [out] = await instance.run([x], []);
      expect(out).toMatchObject({ name: 'Where:0', datatype: 'INT32', shape: [3, 2] });
      expect(Array.from(out!.data as Int32Array)).toEqual([0, 0, 0, 2, 1, 2]);
      expect(tf.memory().numTensors).toBe(loaded);
    }
    await instance.close();
  });
});
