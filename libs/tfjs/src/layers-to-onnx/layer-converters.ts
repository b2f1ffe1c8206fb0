import { applyActivation, clip, softmax } from './activations.js';
import { type LayerContext, numberOr, positiveInt, refuse } from './layer-context.js';
import { channelsLast, float, int, type FlowTensor } from './tensor-flow.js';
import { conv2d, globalPooling2d, pooling2d } from './spatial-layers.js';

type LayerConverter = (x: FlowTensor, ctx: LayerContext) => FlowTensor;

/** Layers that compute nothing at inference (tfjs's predict runs them with training off). */
const identity: LayerConverter = (x) => x;

/** Every layer class that converts, by the class_name model.json records. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Dense: dense,
  Conv2D: conv2d,
  MaxPooling2D: (x, ctx) => pooling2d(x, ctx, 'MaxPool'),
  AveragePooling2D: (x, ctx) => pooling2d(x, ctx, 'AveragePool'),
  GlobalMaxPooling2D: (x, ctx) => globalPooling2d(x, ctx, 'ReduceMax'),
  GlobalAveragePooling2D: (x, ctx) => globalPooling2d(x, ctx, 'ReduceMean'),
  Flatten: flatten,
  Reshape: reshape,
  Activation: (x, { b, layer }) => applyActivation(b, layer.config.activation, x, layer),
  ReLU: relu,
  LeakyReLU: (x, { b, layer }) => ({
    ...x,
    name: b.op('LeakyRelu', [x.name], `${layer.name}.leaky_relu`, [
      float('alpha', numberOr(layer.config.alpha, 0.3)),
    ]),
  }),
  ELU: (x, { b, layer }) => ({
    ...x,
    name: b.op('Elu', [x.name], `${layer.name}.elu`, [float('alpha', numberOr(layer.config.alpha, 1))]),
  }),
  Softmax: softmaxLayer,
  BatchNormalization: batchNormalization,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};

function dense(input: FlowTensor, { b, layer, weights }: LayerContext): FlowTensor {
  const x = channelsLast(b, input, layer.name);
  const units = positiveInt(layer, 'units');
  const inputs = x.shape.at(-1)!;
  const kernel = b.constant(
    `${layer.name}.kernel`,
    [inputs, units],
    weights.take(layer, 'kernel', [inputs, units]),
  );
  const bias =
    layer.config.use_bias === false
      ? undefined
      : b.constant(`${layer.name}.bias`, [units], weights.take(layer, 'bias', [units]));
  let name: string;
  // Dense acts on the last axis; Gemm takes only [batch, features].
  if (x.shape.length === 1)
    name = b.op('Gemm', bias ? [x.name, kernel, bias] : [x.name, kernel], `${layer.name}.gemm`);
  else {
    name = b.op('MatMul', [x.name, kernel], `${layer.name}.matmul`);
    if (bias) name = b.op('Add', [name, bias], `${layer.name}.add`);
  }
  const out: FlowTensor = { name, shape: [...x.shape.slice(0, -1), units], layout: 'channels_last' };
  return applyActivation(b, layer.config.activation, out, layer);
}

function flatten(input: FlowTensor, { b, layer }: LayerContext): FlowTensor {
  if (layer.config.data_format === 'channels_first')
    throw refuse(layer, 'flattens channels_first; only channels_last models can be converted');
  const x = channelsLast(b, input, layer.name);
  if (x.shape.length === 1) return x;
  const size = x.shape.reduce((a, d) => a * d, 1);
  return {
    name: b.op('Flatten', [x.name], `${layer.name}.flatten`, [int('axis', 1)]),
    shape: [size],
    layout: 'channels_last',
  };
}

function reshape(input: FlowTensor, { b, layer }: LayerContext): FlowTensor {
  const x = channelsLast(b, input, layer.name);
  // tfjs writes the one inferred dimension as -1 or null.
  const raw = layer.config.target_shape;
  const target = Array.isArray(raw) ? raw.map((d: unknown) => (d === null ? -1 : d)) : undefined;
  if (!target || target.some((d) => typeof d !== 'number' || !Number.isInteger(d)))
    throw refuse(layer, `has target_shape ${JSON.stringify(raw)}; whole numbers (one may be -1) expected`);
  const size = x.shape.reduce((a, d) => a * d, 1);
  const known = (target as number[]).filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const shape = (target as number[]).map((d) => (d === -1 ? size / known : d));
  if (shape.reduce((a, d) => a * d, 1) !== size || !shape.every((d) => Number.isInteger(d) && d > 0))
    throw refuse(layer, `cannot reshape [${x.shape.join(', ')}] to [${target.join(', ')}]`);
  // 0 copies the batch dimension, whatever it is at run time.
  const dims = b.int64Constant(`${layer.name}.shape`, [shape.length + 1], [0, ...shape]);
  return { name: b.op('Reshape', [x.name, dims], `${layer.name}.reshape`), shape, layout: 'channels_last' };
}

function relu(x: FlowTensor, { b, layer }: LayerContext): FlowTensor {
  const max = layer.config.max_value ?? layer.config.maxValue;
  if (max === null || max === undefined) return { ...x, name: b.op('Relu', [x.name], `${layer.name}.relu`) };
  if (typeof max !== 'number') throw refuse(layer, 'has a max_value that is not a number');
  return { ...x, name: clip(b, x.name, 0, max, `${layer.name}.relu`) };
}

function softmaxLayer(input: FlowTensor, { b, layer }: LayerContext): FlowTensor {
  const axis = numberOr(layer.config.axis, -1);
  const x = channelsLast(b, input, layer.name);
  // The axis counts the batch, as in ONNX.
  return { ...x, name: softmax(b, x, axis, `${layer.name}.softmax`) };
}

/** Inference-time batch normalisation on the channel axis, folded into one scale and one shift. */
function batchNormalization(input: FlowTensor, { b, layer, weights }: LayerContext): FlowTensor {
  const rank = input.shape.length + 1;
  const axis = numberOr(layer.config.axis, -1);
  if (axis !== -1 && axis !== rank - 1)
    throw refuse(layer, `normalises axis ${axis}; only the last (channel) axis can be converted`);
  const channels = input.shape.at(-1)!;
  const epsilon = numberOr(layer.config.epsilon, 0.001);
  const gamma = layer.config.scale === false ? undefined : weights.take(layer, 'gamma', [channels]);
  const beta = layer.config.center === false ? undefined : weights.take(layer, 'beta', [channels]);
  const mean = weights.take(layer, 'moving_mean', [channels]);
  const variance = weights.take(layer, 'moving_variance', [channels]);
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + epsilon);
    shift[c] = (beta?.[c] ?? 0) - mean[c]! * scale[c]!;
  }
  // Channels first broadcasts [C, 1, 1] against [N, C, H, W].
  const dims =
    input.layout === 'channels_first' ? [channels, ...input.shape.slice(0, -1).map(() => 1)] : [channels];
  const s = b.constant(`${layer.name}.scale`, dims, scale);
  const t = b.constant(`${layer.name}.shift`, dims, shift);
  const scaled = b.op('Mul', [input.name, s], `${layer.name}.scaled`);
  return { ...input, name: b.op('Add', [scaled, t], `${layer.name}.shifted`) };
}
