import { applyActivation } from './activations.js';
import type { KerasLayer } from './keras-topology.js';
import { type LayerContext, positiveInt, refuse } from './layer-context.js';
import { channelsFirst, int, ints, type FlowTensor } from './tensor-flow.js';

/** Conv2D on channels-last input, run as ONNX Conv (channels first) with the kernel transposed once here. */
export function conv2d(input: FlowTensor, { b, layer, weights }: LayerContext): FlowTensor {
  const [height, width, channels] = imageShape(layer, input);
  const filters = positiveInt(layer, 'filters');
  const kernel = pair(layer, 'kernel_size');
  const strides = pair(layer, 'strides', [1, 1]);
  const dilations = pair(layer, 'dilation_rate', [1, 1]);
  const padding = paddingOf(layer);
  const tfjsKernel = weights.take(layer, 'kernel', [kernel[0], kernel[1], channels, filters]);
  // tfjs [kh, kw, in, out] → ONNX [out, in, kh, kw].
  const onnxKernel = new Float32Array(tfjsKernel.length);
  for (let i = 0; i < kernel[0]; i++)
    for (let j = 0; j < kernel[1]; j++)
      for (let c = 0; c < channels; c++)
        for (let f = 0; f < filters; f++)
          onnxKernel[((f * channels + c) * kernel[0] + i) * kernel[1] + j] =
            tfjsKernel[((i * kernel[1] + j) * channels + c) * filters + f]!;
  const x = channelsFirst(b, input, layer.name);
  const inputs = [x.name, b.constant(`${layer.name}.kernel`, [filters, channels, ...kernel], onnxKernel)];
  if (layer.config.use_bias !== false)
    inputs.push(b.constant(`${layer.name}.bias`, [filters], weights.take(layer, 'bias', [filters])));
  const effective: [number, number] = [
    (kernel[0] - 1) * dilations[0] + 1,
    (kernel[1] - 1) * dilations[1] + 1,
  ];
  const [rows, pads0] = window(height, effective[0], strides[0], padding);
  const [cols, pads1] = window(width, effective[1], strides[1], padding);
  const name = b.op('Conv', inputs, `${layer.name}.conv`, [
    ints('kernel_shape', kernel),
    ints('strides', strides),
    ints('dilations', dilations),
    ints('pads', [pads0[0], pads1[0], pads0[1], pads1[1]]),
  ]);
  const out: FlowTensor = { name, shape: [rows, cols, filters], layout: 'channels_first' };
  return applyActivation(b, layer.config.activation, out, layer);
}

/** MaxPooling2D / AveragePooling2D; 'same' averages leave the padding out, as TensorFlow does. */
export function pooling2d(
  input: FlowTensor,
  { b, layer }: LayerContext,
  op: 'MaxPool' | 'AveragePool',
): FlowTensor {
  const [height, width, channels] = imageShape(layer, input);
  const size = pair(layer, 'pool_size', [2, 2]);
  const strides = pair(layer, 'strides', size);
  const padding = paddingOf(layer);
  const [rows, pads0] = window(height, size[0], strides[0], padding);
  const [cols, pads1] = window(width, size[1], strides[1], padding);
  const x = channelsFirst(b, input, layer.name);
  const attributes = [
    ints('kernel_shape', size),
    ints('strides', strides),
    ints('pads', [pads0[0], pads1[0], pads0[1], pads1[1]]),
  ];
  if (op === 'AveragePool') attributes.push(int('count_include_pad', 0));
  const name = b.op(
    op,
    [x.name],
    `${layer.name}.${op === 'MaxPool' ? 'max_pool' : 'average_pool'}`,
    attributes,
  );
  return { name, shape: [rows, cols, channels], layout: 'channels_first' };
}

/** GlobalMaxPooling2D / GlobalAveragePooling2D: [batch, channels], whichever layout came in. */
export function globalPooling2d(
  x: FlowTensor,
  { b, layer }: LayerContext,
  op: 'ReduceMax' | 'ReduceMean',
): FlowTensor {
  const [, , channels] = imageShape(layer, x);
  const axes = x.layout === 'channels_first' ? [2, 3] : [1, 2];
  const name = b.op(op, [x.name], `${layer.name}.${op === 'ReduceMax' ? 'max' : 'mean'}`, [
    ints('axes', axes),
    int('keepdims', 0),
  ]);
  return { name, shape: [channels], layout: 'channels_last' };
}

function imageShape(layer: KerasLayer, x: FlowTensor): [number, number, number] {
  if (layer.config.data_format === 'channels_first')
    throw refuse(layer, 'is channels_first; only channels_last models can be converted');
  if (x.shape.length !== 3)
    throw refuse(
      layer,
      `takes a tensor of shape [${x.shape.join(', ')}]; [height, width, channels] expected`,
    );
  return x.shape as [number, number, number];
}

function pair(layer: KerasLayer, key: string, fallback?: readonly [number, number]): [number, number] {
  const value = layer.config[key];
  if ((value === null || value === undefined) && fallback) return [...fallback];
  const both = typeof value === 'number' ? [value, value] : value;
  if (
    !Array.isArray(both) ||
    both.length !== 2 ||
    both.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1)
  )
    throw refuse(layer, `has ${key} ${JSON.stringify(value)}; two whole positive numbers expected`);
  return both as [number, number];
}

function paddingOf(layer: KerasLayer): 'valid' | 'same' {
  const padding = layer.config.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same')
    throw refuse(layer, `has padding "${String(padding)}"; only valid and same can be converted`);
  return padding;
}

/** Output length and [begin, end] padding of one spatial axis; 'same' pads the extra at the end, as TensorFlow. */
function window(
  length: number,
  kernel: number,
  stride: number,
  padding: 'valid' | 'same',
): [number, [number, number]] {
  if (padding === 'valid') return [Math.floor((length - kernel) / stride) + 1, [0, 0]];
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + kernel - length, 0);
  return [out, [Math.floor(total / 2), total - Math.floor(total / 2)]];
}
