// The description of a feed-forward dense network shared by the ONNX writer and the JS reference
// forward pass. The trainer builds these from tfjs weights; demos build them from a seed.

export const DENSE_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'leaky_relu'] as const;

export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

/** ONNX's LeakyRelu default; Keras defaults differ (0.3), so exporters should pass alpha explicitly. */
export const DEFAULT_LEAKY_RELU_ALPHA = 0.01;

export interface DenseLayer {
  /** Row-major [inputs][outputs]: weights[i * outputs + o] connects input i to output o. */
  weights: Float32Array;
  /** One value per output; its length fixes the layer's width. */
  bias: Float32Array;
  activation: DenseActivation;
  /** Negative slope, only for leaky_relu. */
  alpha?: number;
}

export interface DenseNetworkSpec {
  inputName: string;
  outputName: string;
  inputDim: number;
  layers: DenseLayer[];
  /** 'dynamic' writes a symbolic batch dimension; a number pins the batch size. */
  batch: 'dynamic' | number;
  docString?: string;
}

const ACTIVATIONS = new Set<string>(DENSE_ACTIVATIONS);

/**
 * Returns a sentence naming the first thing wrong with the spec, or undefined when it is usable.
 * Callers wrap the sentence in their own typed error.
 */
export function findDenseSpecProblem(spec: DenseNetworkSpec): string | undefined {
  if (typeof spec !== 'object' || spec === null) return 'spec must be an object';
  for (const key of ['inputName', 'outputName'] as const) {
    const name: unknown = spec[key];
    if (typeof name !== 'string' || name.length === 0) return `${key} must be a non-empty string`;
  }
  if (spec.inputName === spec.outputName) {
    return `inputName and outputName must differ (both are '${spec.inputName}')`;
  }
  if (!isPositiveInteger(spec.inputDim)) {
    return `inputDim must be a positive integer, got ${String(spec.inputDim)}`;
  }
  if (spec.batch !== 'dynamic' && !isPositiveInteger(spec.batch)) {
    return `batch must be 'dynamic' or a positive integer, got ${String(spec.batch)}`;
  }
  if (spec.docString !== undefined && typeof spec.docString !== 'string') return 'docString must be a string';
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) return 'layers must be a non-empty array';

  let inputs = spec.inputDim;
  for (const [index, layer] of spec.layers.entries()) {
    const problem = findLayerProblem(layer, inputs);
    if (problem !== undefined) return `layer ${index}: ${problem}`;
    inputs = layer.bias.length;
  }
  return undefined;
}

function findLayerProblem(layer: DenseLayer, inputs: number): string | undefined {
  if (typeof layer !== 'object' || layer === null) return 'must be an object';
  if (!ACTIVATIONS.has(layer.activation)) {
    return `activation '${String(layer.activation)}' is not one of ${DENSE_ACTIVATIONS.join(', ')}`;
  }
  if (!(layer.bias instanceof Float32Array)) return 'bias must be a Float32Array';
  if (!(layer.weights instanceof Float32Array)) return 'weights must be a Float32Array';
  const outputs = layer.bias.length;
  if (outputs === 0) return 'bias is empty; a layer needs at least one output';
  if (layer.weights.length !== inputs * outputs) {
    return (
      `weights has ${layer.weights.length} values but ${inputs} inputs x ${outputs} outputs ` +
      `(bias length) needs ${inputs * outputs}`
    );
  }
  const badWeight = layer.weights.findIndex((v) => !Number.isFinite(v));
  if (badWeight >= 0) return `weights[${badWeight}] is ${layer.weights[badWeight]}, not a finite number`;
  const badBias = layer.bias.findIndex((v) => !Number.isFinite(v));
  if (badBias >= 0) return `bias[${badBias}] is ${layer.bias[badBias]}, not a finite number`;
  if (layer.alpha !== undefined) {
    if (layer.activation !== 'leaky_relu')
      return `alpha is only meaningful for leaky_relu, not ${layer.activation}`;
    if (!Number.isFinite(layer.alpha)) return `alpha must be a finite number, got ${String(layer.alpha)}`;
  }
  return undefined;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
