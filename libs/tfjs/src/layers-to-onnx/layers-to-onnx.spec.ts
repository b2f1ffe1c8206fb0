import * as tf from '@tensorflow/tfjs';
import { runOnnx } from '@aimass/testing/onnx';
import { Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TfjsModelJson } from '../tfjs-layout.js';
import { convertLayersModelToOnnx, type TfjsLayersArtifact } from './layers-to-onnx.js';

/** model.json and the weight bytes, exactly as tf.io saves a layers model. */
async function saved(model: tf.LayersModel): Promise<TfjsLayersArtifact> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const modelJson: TfjsModelJson = {
    format: artifacts!.format,
    modelTopology: artifacts!.modelTopology as Record<string, unknown>,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts!.weightSpecs! }],
  };
  return { modelJson, weightData: new Uint8Array(artifacts!.weightData as ArrayBuffer) };
}

/** Every weight redrawn from a seeded normal (variances positive), so no layer is an identity by accident. */
function randomiseWeights(model: tf.LayersModel, seed: number): void {
  model.setWeights(
    model.weights.map((w, i) => {
      const values = tf.randomNormal(w.shape as number[], 0, 0.5, 'float32', seed + i);
      return w.name.endsWith('moving_variance') ? values.abs().add(0.5) : values;
    }),
  );
}

const dense = (units: number, activation: string, extra: Record<string, unknown> = {}) =>
  tf.layers.dense({ units, activation: activation as never, ...extra });

const ARCHITECTURES: Array<{ name: string; inputShape: number[]; build: () => tf.LayersModel }> = [
  {
    name: 'dense autoencoder 12-8-3-8-12',
    inputShape: [12],
    build: () =>
      tf.sequential({
        layers: [
          dense(8, 'relu', { inputShape: [12] }),
          dense(3, 'linear'),
          dense(8, 'relu'),
          dense(12, 'sigmoid'),
        ],
      }),
  },
  {
    name: 'dense with every activation, activation layers and no-bias',
    inputShape: [6],
    build: () =>
      tf.sequential({
        layers: [
          dense(7, 'linear', { inputShape: [6] }),
          ...['relu', 'relu6', 'sigmoid', 'hardSigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign'].map(
            (a) => dense(7, a),
          ),
          dense(7, 'swish', { useBias: false }),
          dense(7, 'mish'),
          tf.layers.leakyReLU({ alpha: 0.1 }),
          tf.layers.reLU({ maxValue: 0.8 }),
          tf.layers.elu(),
          tf.layers.activation({ activation: 'tanh' }),
          tf.layers.dropout({ rate: 0.5 }),
          dense(5, 'softmax'),
        ],
      }),
  },
  {
    name: 'small CNN: Conv2D same and valid, max and average pooling, flatten, dense softmax',
    inputShape: [12, 12, 3],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [12, 12, 3],
            filters: 4,
            kernelSize: 3,
            padding: 'same',
            activation: 'relu',
          }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({
            filters: 5,
            kernelSize: [3, 2],
            strides: 2,
            padding: 'valid',
            activation: 'elu',
          }),
          tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
          tf.layers.flatten(),
          dense(4, 'softmax'),
        ],
      }),
  },
  {
    name: 'CNN with BatchNormalization, dilation, strided same padding and global pooling',
    inputShape: [9, 11, 2],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [9, 11, 2],
            filters: 3,
            kernelSize: 3,
            dilationRate: 2,
            padding: 'same',
            useBias: false,
          }),
          tf.layers.batchNormalization(),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' }),
          tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
          tf.layers.globalAveragePooling2d({}),
          dense(2, 'linear'),
        ],
      }),
  },
  {
    name: 'dense BatchNormalization without scale',
    inputShape: [5],
    build: () =>
      tf.sequential({
        layers: [
          dense(6, 'linear', { inputShape: [5] }),
          tf.layers.batchNormalization({ scale: false, epsilon: 0.01 }),
          tf.layers.batchNormalization({ center: false }),
          dense(3, 'tanh'),
        ],
      }),
  },
  {
    name: 'functional chain: Reshape to an image, Conv2D, global max pooling, Softmax layer',
    inputShape: [48],
    build: () => {
      const input = tf.input({ shape: [48] });
      let x = tf.layers.reshape({ targetShape: [4, -1, 3] }).apply(input) as tf.SymbolicTensor;
      x = tf.layers.conv2d({ filters: 8, kernelSize: 2, activation: 'tanh' }).apply(x) as tf.SymbolicTensor;
      x = tf.layers.globalMaxPooling2d({}).apply(x) as tf.SymbolicTensor;
      x = tf.layers.reshape({ targetShape: [2, 4] }).apply(x) as tf.SymbolicTensor;
      x = dense(3, 'linear').apply(x) as tf.SymbolicTensor;
      x = tf.layers.softmax({ axis: -1 }).apply(x) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: x });
    },
  },
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('convertLayersModelToOnnx', () => {
  it.each(ARCHITECTURES)('$name: onnxruntime gives what tfjs predicts', async ({ inputShape, build }) => {
    const model = build();
    randomiseWeights(model, 11);
    const artifact = await saved(model);
    const converted = convertLayersModelToOnnx(artifact);

    const batch = 5;
    const x = tf.randomNormal([batch, ...inputShape], 0, 1, 'float32', 3);
    const expected = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const expectedShape = (model.outputs[0]!.shape as number[]).slice(1);
    expect(converted.output.shape).toEqual(expectedShape);
    expect(converted.input.shape).toEqual(inputShape);

    const feeds = {
      [converted.input.name]: new Tensor('float32', x.dataSync() as Float32Array, [batch, ...inputShape]),
    };
    const got = (await runOnnx(converted.onnx, feeds))[converted.output.name]!;
    expect(got.length).toBe(expected.length);
    const scale = Math.max(1, ...Array.from(expected, Math.abs));
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
    expect(worst).toBeLessThanOrEqual(1e-4 * scale);
    // Not constant: a broken conversion cannot pass by predicting one value everywhere.
    expect(new Set(Array.from(expected, (v) => v.toFixed(4))).size).toBeGreaterThan(1);
  });
});

describe('convertLayersModelToOnnx refuses', () => {
  const withTopology = async (edit: (m: TfjsLayersArtifact) => TfjsLayersArtifact) =>
    edit(
      await saved(
        tf.sequential({
          layers: [
            dense(3, 'relu', { inputShape: [4], name: 'hidden' }),
            dense(2, 'linear', { name: 'out' }),
          ],
        }),
      ),
    );
  const layers = (m: TfjsLayersArtifact) =>
    (
      m.modelJson.modelTopology!.config as {
        layers: Array<{ class_name: string; config: Record<string, unknown> }>;
      }
    ).layers;

  it.each([
    {
      name: 'an unsupported layer, named with its class',
      build: () =>
        tf.sequential({ layers: [tf.layers.lstm({ inputShape: [3, 2], units: 4, name: 'memory' })] }),
      message: /layer "memory" \(LSTM\) has no ONNX conversion/,
    },
    {
      name: 'an unsupported activation',
      build: () => tf.sequential({ layers: [dense(2, 'gelu', { inputShape: [3], name: 'g' })] }),
      message: /layer "g" \(Dense\) uses activation "gelu"/,
    },
    {
      name: 'a branching functional model',
      build: () => {
        const input = tf.input({ shape: [4] });
        const a = dense(3, 'relu').apply(input) as tf.SymbolicTensor;
        const b = dense(3, 'tanh').apply(input) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
      },
      message: /only a chain of single-input layers can be converted/,
    },
    {
      name: 'a channels_first convolution',
      build: () =>
        tf.sequential({
          layers: [
            tf.layers.conv2d({
              inputShape: [2, 5, 5],
              filters: 2,
              kernelSize: 2,
              dataFormat: 'channelsFirst',
              name: 'cf',
            }),
          ],
        }),
      message: /layer "cf" \(Conv2D\) is channels_first/,
    },
  ])('$name', async ({ build, message }) => {
    const artifact = await saved(build());
    expect(() => convertLayersModelToOnnx(artifact)).toThrow(message);
  });

  it.each([
    {
      name: 'a graph model',
      edit: (m: TfjsLayersArtifact) => ({ ...m, modelJson: { ...m.modelJson, format: 'graph-model' } }),
      message: /tfjs graph model; only layers models/,
    },
    {
      name: 'missing weight bytes (a shard left out)',
      edit: (m: TfjsLayersArtifact) => ({ ...m, weightData: m.weightData.subarray(0, 40) }),
      message: /too few for weight "hidden\/kernel"/,
    },
    {
      name: 'a weight the manifest does not hold',
      edit: (m: TfjsLayersArtifact) => ({
        ...m,
        modelJson: {
          ...m.modelJson,
          weightsManifest: [{ paths: [], weights: m.modelJson.weightsManifest![0]!.weights.slice(0, 2) }],
        },
        weightData: m.weightData.subarray(0, (4 * 3 + 3) * 4),
      }),
      message: /layer "out" \(Dense\) has no weight "out\/kernel"/,
    },
    {
      name: 'quantized weights',
      edit: (m: TfjsLayersArtifact) => {
        const weights = m.modelJson.weightsManifest![0]!.weights.map((w) => ({
          ...w,
          quantization: { dtype: 'uint8' },
        }));
        return { ...m, modelJson: { ...m.modelJson, weightsManifest: [{ paths: [], weights }] } };
      },
      message: /weight "hidden\/kernel" is quantized/,
    },
    {
      name: 'an unknown input size after the batch',
      edit: (m: TfjsLayersArtifact) => {
        layers(m)[0]!.config.batch_input_shape = [null, null];
        return m;
      },
      message: /only the batch dimension may vary/,
    },
  ])('$name', async ({ edit, message }) => {
    const artifact = await withTopology(edit);
    expect(() => convertLayersModelToOnnx(artifact)).toThrow(message);
  });
});
