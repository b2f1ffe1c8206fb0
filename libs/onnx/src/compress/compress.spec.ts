import { onnx } from '@aimass/tensors';
import { SeededRandom } from '@aimass/random';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportAutoencoder } from '../export/autoencoder-onnx.js';
import { randomDenseNetwork } from '../dense/random-dense-network.js';
import { encodeOnnxModel } from '../onnx-model.js';
import { OnnxCompressionError } from '../onnx-errors.js';
import { readOnnxSignature } from '../onnx-signature.js';
import { compressOnnxModel } from './compress.js';
import { quantizeDynamicInt8 } from './dynamic-int8.js';
import { convertToFloat16, FLOAT16_OPS } from './float16.js';
import { quantizeStaticInt8, staticCalibrationModel, type ActivationRange } from './static-int8.js';
import { float16Bits } from './graph-tensors.js';
import { outputDifference } from './output-difference.js';

const { FLOAT, FLOAT16, INT8 } = onnx.TensorProto.DataType;
const WIDTH = 256;

/** An AE anomaly scorer as the trainer exports it: scaling, Gemm layers, an MSE score and a threshold flag. */
function autoencoder(): Uint8Array {
  const encoder = randomDenseNetwork({
    inputDim: WIDTH,
    hidden: [128],
    outputDim: 32,
    seed: 7,
    activation: 'relu',
  });
  const decoder = randomDenseNetwork({
    inputDim: 32,
    hidden: [128],
    outputDim: WIDTH,
    seed: 8,
    activation: 'relu',
  });
  const rng = new SeededRandom(3);
  return exportAutoencoder({
    kind: 'ae',
    inputDim: WIDTH,
    latentDim: 32,
    encoder: encoder.layers,
    decoder: decoder.layers,
    scaling: {
      offset: Float32Array.from({ length: WIDTH }, () => rng.next()),
      scale: Float32Array.from({ length: WIDTH }, () => 0.5 + rng.next()),
    },
    threshold: 0.5,
  }).anomaly;
}

function rows(count: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length: count * WIDTH }, () => rng.next() * 3 - 1);
}

async function run(bytes: Uint8Array, x: Float32Array, batch: number): Promise<Record<string, Tensor>> {
  const session = await InferenceSession.create(bytes);
  try {
    return await session.run({ x: new Tensor('float32', x, [batch, WIDTH]) });
  } finally {
    await session.release();
  }
}

function worstRelative(actual: Tensor, expected: Tensor): number {
  return outputDifference(actual.data as Float32Array, expected.data as Float32Array).maxRelative;
}

function initializerTypes(bytes: Uint8Array): Map<string, number> {
  const graph = onnx.ModelProto.decode(bytes).graph as onnx.GraphProto;
  return new Map(graph.initializer.map((t) => [t.name ?? '', t.dataType ?? 0]));
}

describe('convertToFloat16', () => {
  it('keeps the float32 signature, stores every float initializer as FLOAT16 and halves the size', async () => {
    const source = autoencoder();
    const half = convertToFloat16(source);
    expect(readOnnxSignature(half)).toEqual(readOnnxSignature(source));
    const types = [...initializerTypes(half).values()];
    expect(types.filter((t) => t === FLOAT)).toEqual([]);
    expect(types.filter((t) => t === FLOAT16).length).toBeGreaterThan(4);
    expect(half.length / source.length).toBeLessThan(0.55);
  });

  it.each([1, 33])(
    'gives outputs within float16 rounding of the source in onnxruntime (batch %i)',
    async (batch) => {
      const source = autoencoder();
      const x = rows(batch, batch);
      const [want, got] = await Promise.all([run(source, x, batch), run(convertToFloat16(source), x, batch)]);
      expect(got.reconstruction.type).toBe('float32');
      expect(got.score.type).toBe('float32');
      expect(worstRelative(got.reconstruction, want.reconstruction)).toBeLessThan(1e-2);
      expect(worstRelative(got.score, want.score)).toBeLessThan(1e-2);
      expect(worstRelative(got.latent, want.latent)).toBeLessThan(1e-2);
    },
  );

  it.each([...FLOAT16_OPS.keys()])('%s runs in float16 in onnxruntime-node', async (op) => {
    const arity =
      op === 'Gemm' || op === 'MatMul' || FLOAT16_OPS.get(op) === 'all'
        ? 2
        : (FLOAT16_OPS.get(op) as number[]).length;
    const extra = op === 'Reshape' ? ['shape'] : op === 'Squeeze' || op === 'Unsqueeze' ? ['axes'] : [];
    const inputs = Array.from({ length: Math.min(arity, op === 'Clip' ? 1 : arity) }, (_, i) => `x${i}`);
    const initializer: onnx.ITensorProto[] = [
      { name: 'shape', dims: [2], dataType: onnx.TensorProto.DataType.INT64, int64Data: [4, 4] },
      {
        name: 'axes',
        dims: [1],
        dataType: onnx.TensorProto.DataType.INT64,
        int64Data: [op === 'Squeeze' ? 0 : 2],
      },
    ];
    const graph: onnx.IGraphProto = {
      name: op,
      node: [
        {
          opType: op,
          input: [...inputs, ...extra],
          output: ['y'],
          attribute: op === 'Concat' ? [{ name: 'axis', type: 2, i: 0 }] : [],
        },
      ],
      input: inputs.map((name) => ({
        name,
        type: {
          tensorType: {
            elemType: FLOAT,
            shape: { dim: [{ dimValue: op === 'Squeeze' ? 1 : 4 }, { dimValue: 4 }] },
          },
        },
      })),
      initializer,
      output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
    };
    const half = convertToFloat16(encodeOnnxModel(graph));
    const node = (onnx.ModelProto.decode(half).graph as onnx.GraphProto).node.find((n) => n.opType === op)!;
    expect(node.output?.[0]).not.toBe('y');
    const session = await InferenceSession.create(half);
    const shape = op === 'Squeeze' ? [1, 4] : [4, 4];
    const feeds = Object.fromEntries(
      inputs.map((name) => [name, new Tensor('float32', new Float32Array(shape[0] * 4).fill(0.5), shape)]),
    );
    const result = await session.run(feeds);
    expect(result.y.type).toBe('float32');
    await session.release();
  });

  it('rounds to the nearest float16 and saturates instead of overflowing', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(1e6)).toBe(0x7bff);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });
});

describe('quantizeDynamicInt8', () => {
  it('stores the Gemm weights as int8, keeps the signature and shrinks a weight-dominated model ~4x', async () => {
    const source = autoencoder();
    const quantized = quantizeDynamicInt8(source);
    expect(readOnnxSignature(quantized)).toEqual(readOnnxSignature(source));
    const types = initializerTypes(quantized);
    const weights = [...types.entries()].filter(([name]) => name.endsWith('.weight_quantized'));
    expect(weights).toHaveLength(4);
    expect(weights.every(([, t]) => t === INT8)).toBe(true);
    expect([...types.keys()].filter((name) => name.endsWith('.weight'))).toEqual([]);
    const ops = (onnx.ModelProto.decode(quantized).graph as onnx.GraphProto).node.map((n) => n.opType);
    expect(ops.filter((op) => op === 'MatMulInteger')).toHaveLength(4);
    expect(ops).not.toContain('Gemm');
    expect(source.length / quantized.length).toBeGreaterThan(3.3);
  });

  it.each([1, 33])('gives outputs close to the source in onnxruntime (batch %i)', async (batch) => {
    const source = autoencoder();
    const x = rows(batch, 100 + batch);
    const [want, got] = await Promise.all([
      run(source, x, batch),
      run(quantizeDynamicInt8(source), x, batch),
    ]);
    const reconstruction = outputDifference(
      got.reconstruction.data as Float32Array,
      want.reconstruction.data as Float32Array,
    );
    expect(reconstruction.meanRelative).toBeLessThan(0.05);
    expect(reconstruction.meanRelative).toBeGreaterThan(0);
    expect(
      outputDifference(got.score.data as Float32Array, want.score.data as Float32Array).meanRelative,
    ).toBeLessThan(0.1);
  });

  it('quantises a transposed Gemm weight the same as its untransposed twin', async () => {
    const weight = rows(1, 9).subarray(0, 12);
    const transposed = Float32Array.from({ length: 12 }, (_, i) => weight[(i % 3) * 4 + Math.floor(i / 3)]);
    const model = (w: Float32Array, transB: number) =>
      encodeOnnxModel({
        name: 'g',
        node: [
          {
            opType: 'Gemm',
            input: ['x', 'w'],
            output: ['y'],
            attribute: [{ name: 'transB', type: 2, i: transB }],
          },
        ],
        initializer: [
          { name: 'w', dims: transB ? [4, 3] : [3, 4], dataType: FLOAT, floatData: Array.from(w) },
        ],
        input: [
          {
            name: 'x',
            type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } },
          },
        ],
        output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
      });
    const feed = { x: new Tensor('float32', Float32Array.of(1, -2, 0.5, 3, 0.25, -1), [2, 3]) };
    const outputs = [];
    for (const bytes of [model(weight, 0), model(transposed, 1)]) {
      const session = await InferenceSession.create(quantizeDynamicInt8(bytes));
      outputs.push(Array.from((await session.run(feed)).y.data as Float32Array));
      await session.release();
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });
});

describe('quantizeStaticInt8', () => {
  async function calibrate(
    source: Uint8Array,
    x: Float32Array,
    batch: number,
  ): Promise<Map<string, ActivationRange>> {
    const { model, activations } = staticCalibrationModel(source);
    const outputs = await run(model, x, batch);
    return new Map(
      activations.map((name) => {
        const values = outputs[name]!.data as Float32Array;
        return [name, { min: Math.min(...values), max: Math.max(...values) }];
      }),
    );
  }

  it('writes QDQ around int8 weights calibrated on rows, with outputs close to the source on other rows', async () => {
    const source = autoencoder();
    const ranges = await calibrate(source, rows(128, 1), 128);
    expect(ranges.size).toBe(4);
    const quantized = quantizeStaticInt8(source, ranges);
    expect(readOnnxSignature(quantized)).toEqual(readOnnxSignature(source));
    const graph = onnx.ModelProto.decode(quantized).graph as onnx.GraphProto;
    expect(graph.node.filter((n) => n.opType === 'QuantizeLinear')).toHaveLength(4);
    expect(graph.node.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(8);
    expect(
      graph.initializer.filter((t) => t.dataType === INT8 && (t.name ?? '').endsWith('.weight_quantized')),
    ).toHaveLength(4);
    expect(source.length / quantized.length).toBeGreaterThan(3.3);
    const x = rows(33, 2);
    const [want, got] = await Promise.all([run(source, x, 33), run(quantized, x, 33)]);
    const difference = outputDifference(
      got.reconstruction.data as Float32Array,
      want.reconstruction.data as Float32Array,
    );
    expect(difference.meanRelative).toBeGreaterThan(0);
    expect(difference.meanRelative).toBeLessThan(0.05);
  });

  it('refuses an activation without a calibration range', () => {
    expect(() => quantizeStaticInt8(autoencoder(), new Map())).toThrow(
      /no finite calibration range for activation/,
    );
  });
});

describe('compressOnnxModel refusals', () => {
  const noWeights = encodeOnnxModel({
    name: 'g',
    node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
    input: [{ name: 'x', type: { tensorType: { elemType: FLOAT } } }],
    output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
  });
  const opset10 = onnx.ModelProto.encode({
    ...onnx.ModelProto.decode(autoencoder()),
    opsetImport: [{ domain: '', version: 10 }],
  }).finish();
  it.each([
    ['bytes that are not ONNX', Uint8Array.of(1, 2, 3, 255), 'fp16', /not an ONNX model/],
    ['a model without MatMul or Gemm weights', noWeights, 'int8-dynamic', /nothing to quantise/],
    ['an opset too old for DynamicQuantizeLinear', opset10, 'int8-dynamic', /opset 11 or later.*opset 10/],
    [
      'int8-static without calibration',
      autoencoder(),
      'int8-static',
      /needs activation ranges from calibration rows/,
    ],
  ] as const)('refuses %s', (_, bytes, target, message) => {
    expect(() => compressOnnxModel(bytes, target)).toThrow(OnnxCompressionError);
    expect(() => compressOnnxModel(bytes, target)).toThrow(message);
  });
});
