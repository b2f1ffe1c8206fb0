import { onnx } from '@aimass/tensors';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { denseForward } from './dense-forward.js';
import { exportDenseNetwork } from './dense-network.js';
import { DENSE_ACTIVATIONS, type DenseNetworkSpec } from './dense-spec.js';
import { OnnxExportError } from '../onnx-errors.js';
import { SeededRandom } from '@aimass/random';
import { randomDenseNetwork } from './random-dense-network.js';

const TOLERANCE = 1e-5;

async function runInOrt(spec: DenseNetworkSpec, input: Float32Array, batch: number): Promise<Tensor> {
  const session = await InferenceSession.create(exportDenseNetwork(spec));
  try {
    const feeds = { [spec.inputName]: new Tensor('float32', input, [batch, spec.inputDim]) };
    const results = await session.run(feeds);
    const output = results[spec.outputName];
    if (output === undefined) throw new Error(`ORT returned no '${spec.outputName}'`);
    return output;
  } finally {
    await session.release();
  }
}

function randomInput(length: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const next = (): number => rng.next();
  return Float32Array.from({ length }, () => next() * 4 - 2);
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const worst = actual.reduce((max, v, i) => Math.max(max, Math.abs(v - expected[i])), 0);
  expect(worst).toBeLessThan(TOLERANCE);
}

describe('exportDenseNetwork', () => {
  describe.each(DENSE_ACTIVATIONS)('hidden %s', (activation) => {
    it.each([1, 7])('matches the JS forward pass in onnxruntime at batch %i', async (batch) => {
      const spec = randomDenseNetwork({
        inputDim: 6,
        hidden: [16, 9],
        outputDim: 4,
        seed: 17 + batch,
        activation,
        outputActivation: activation,
        inputName: 'features',
        outputName: 'scores',
      });
      const input = randomInput(batch * spec.inputDim, batch);
      const output = await runInOrt(spec, input, batch);
      expect(output.dims).toEqual([batch, 4]);
      expect(output.type).toBe('float32');
      const expected = denseForward(spec, input, batch);
      expectClose(output.data as Float32Array, expected);
      // A network that ignores its input would pass the comparison with a constant; rows must differ.
      if (batch > 1)
        expect(Array.from(expected.subarray(0, 4))).not.toEqual(Array.from(expected.subarray(4, 8)));
    });
  });

  it('writes the leaky_relu slope that the spec asks for', async () => {
    const base = randomDenseNetwork({
      inputDim: 3,
      hidden: [8],
      outputDim: 2,
      seed: 5,
      activation: 'leaky_relu',
    });
    const spec: DenseNetworkSpec = {
      ...base,
      layers: base.layers.map((l) => ({ ...l, alpha: l.activation === 'leaky_relu' ? 0.3 : undefined })),
    };
    const input = randomInput(5 * 3, 9);
    const output = await runInOrt(spec, input, 5);
    expectClose(output.data as Float32Array, denseForward(spec, input, 5));
    expect(Array.from(denseForward(spec, input, 5))).not.toEqual(Array.from(denseForward(base, input, 5)));
  });

  it('pins the batch dimension when batch is a number', async () => {
    const spec = randomDenseNetwork({
      inputDim: 2,
      hidden: [],
      outputDim: 3,
      seed: 1,
      activation: 'relu',
      batch: 3,
    });
    const bytes = exportDenseNetwork(spec);
    const session = await InferenceSession.create(bytes);
    try {
      expect(session.inputMetadata[0]).toMatchObject({ shape: [3, 2] });
      await expect(
        session.run({ input: new Tensor('float32', new Float32Array(8), [4, 2]) }),
      ).rejects.toThrow();
    } finally {
      await session.release();
    }
    const input = randomInput(6, 2);
    expectClose((await runInOrt(spec, input, 3)).data as Float32Array, denseForward(spec, input, 3));
  });

  it('writes ir_version 8, opset 13, producer aimass, the doc string and little-endian raw weights', () => {
    const spec = {
      ...randomDenseNetwork({ inputDim: 2, hidden: [3], outputDim: 1, seed: 3, activation: 'tanh' }),
      docString: 'seed 3',
    };
    const model = onnx.ModelProto.decode(exportDenseNetwork(spec));
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    expect(model.producerName).toBe('aimass');
    expect(model.docString).toBe('seed 3');
    const weight = model.graph?.initializer?.find((t) => t.name === 'dense_0.weight');
    expect(weight?.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(weight?.dims?.map(Number)).toEqual([2, 3]);
    const raw = weight?.rawData ?? new Uint8Array();
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const decoded = Array.from({ length: 6 }, (_, i) => view.getFloat32(i * 4, true));
    expect(decoded).toEqual(Array.from(spec.layers[0].weights));
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const options = { inputDim: 4, hidden: [5], outputDim: 2, activation: 'relu' as const };
    const a = exportDenseNetwork(randomDenseNetwork({ ...options, seed: 11 }));
    const b = exportDenseNetwork(randomDenseNetwork({ ...options, seed: 11 }));
    const c = exportDenseNetwork(randomDenseNetwork({ ...options, seed: 12 }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });
});

describe('exportDenseNetwork rejects inconsistent specs', () => {
  const good = (): DenseNetworkSpec =>
    randomDenseNetwork({ inputDim: 4, hidden: [3], outputDim: 2, seed: 1, activation: 'relu' });
  const withLayer = (index: number, patch: object): DenseNetworkSpec => {
    const spec = good();
    spec.layers[index] = { ...spec.layers[index], ...patch };
    return spec;
  };

  const cases: [string, () => DenseNetworkSpec, RegExp][] = [
    ['empty input name', () => ({ ...good(), inputName: '' }), /inputName must be a non-empty string/],
    [
      'same input and output name',
      () => ({ ...good(), outputName: 'input' }),
      /inputName and outputName must differ/,
    ],
    ['zero inputDim', () => ({ ...good(), inputDim: 0 }), /inputDim must be a positive integer, got 0/],
    [
      'fractional inputDim',
      () => ({ ...good(), inputDim: 2.5 }),
      /inputDim must be a positive integer, got 2\.5/,
    ],
    ['no layers', () => ({ ...good(), layers: [] }), /layers must be a non-empty array/],
    [
      'negative batch',
      () => ({ ...good(), batch: -2 }),
      /batch must be 'dynamic' or a positive integer, got -2/,
    ],
    [
      'unknown batch word',
      () => ({ ...good(), batch: 'any' as 'dynamic' }),
      /batch must be 'dynamic'.*got any/,
    ],
    [
      'inputDim not matching first layer',
      () => ({ ...good(), inputDim: 5 }),
      /layer 0: weights has 12 values but 5 inputs x 3 outputs \(bias length\) needs 15/,
    ],
    [
      'second layer wired to the wrong width',
      () => withLayer(1, { weights: new Float32Array(8) }),
      /layer 1: weights has 8 values but 3 inputs x 2 outputs \(bias length\) needs 6/,
    ],
    [
      'bias longer than the weights allow',
      () => withLayer(0, { bias: new Float32Array(4) }),
      /layer 0: weights has 12 values but 4 inputs x 4 outputs/,
    ],
    ['empty bias', () => withLayer(1, { bias: new Float32Array(0) }), /layer 1: bias is empty/],
    [
      'weights as a plain array',
      () => withLayer(0, { weights: [1, 2, 3] }),
      /layer 0: weights must be a Float32Array/,
    ],
    [
      'bias as Float64Array',
      () => withLayer(1, { bias: new Float64Array(2) }),
      /layer 1: bias must be a Float32Array/,
    ],
    [
      'unknown activation',
      () => withLayer(0, { activation: 'gelu' }),
      /layer 0: activation 'gelu' is not one of linear, relu/,
    ],
    [
      'NaN weight',
      () => withLayer(1, { weights: Float32Array.of(0, 0, 0, NaN, 0, 0) }),
      /layer 1: weights\[3\] is NaN/,
    ],
    [
      'infinite bias',
      () => withLayer(0, { bias: Float32Array.of(0, Infinity, 0) }),
      /layer 0: bias\[1\] is Infinity/,
    ],
    [
      'alpha on relu',
      () => withLayer(0, { alpha: 0.2 }),
      /layer 0: alpha is only meaningful for leaky_relu, not relu/,
    ],
    [
      'output name colliding with a weight',
      () => ({ ...good(), outputName: 'dense_1.weight' }),
      /outputName 'dense_1.weight' collides with an internal tensor name/,
    ],
  ];

  it.each(cases)('%s', (_label, make, message) => {
    let thrown: unknown;
    try {
      exportDenseNetwork(make());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(OnnxExportError);
    expect((thrown as OnnxExportError).name).toBe('OnnxExportError');
    expect((thrown as OnnxExportError).message).toMatch(message);
  });
});
