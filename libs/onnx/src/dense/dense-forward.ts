import {
  type DenseLayer,
  type DenseNetworkSpec,
  DEFAULT_LEAKY_RELU_ALPHA,
  findDenseSpecProblem,
} from './dense-spec.js';

// A plain JS forward pass: the independent reference that ORT's results are checked against in
// tests and in the demo. Clarity over speed.

export class DenseForwardError extends Error {
  override readonly name = 'DenseForwardError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Runs `batch` rows of `input` (row-major [batch][inputDim]) through the network and returns the
 * row-major [batch][outputDim] result. Each layer accumulates in float64 and rounds its output to
 * float32, as the FP32 ONNX model stores activations.
 */
export function denseForward(spec: DenseNetworkSpec, input: Float32Array, batch: number): Float32Array {
  const problem = findDenseSpecProblem(spec);
  if (problem !== undefined) throw new DenseForwardError(`invalid dense network: ${problem}`);
  if (!Number.isSafeInteger(batch) || batch <= 0) {
    throw new DenseForwardError(`batch must be a positive integer, got ${batch}`);
  }
  if (input.length !== batch * spec.inputDim) {
    throw new DenseForwardError(
      `input has ${input.length} values but batch ${batch} x inputDim ${spec.inputDim} needs ${batch * spec.inputDim}`,
    );
  }
  let activations = input;
  let inputs = spec.inputDim;
  for (const layer of spec.layers) {
    activations = layerForward(layer, activations, batch, inputs);
    inputs = layer.bias.length;
  }
  return activations;
}

function layerForward(layer: DenseLayer, x: Float32Array, batch: number, inputs: number): Float32Array {
  const outputs = layer.bias.length;
  const y = new Float32Array(batch * outputs);
  const row = new Float64Array(outputs);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outputs; o++) {
      let sum = layer.bias[o];
      for (let i = 0; i < inputs; i++) sum += x[b * inputs + i] * layer.weights[i * outputs + o];
      row[o] = Math.fround(sum);
    }
    activate(layer, row);
    y.set(row, b * outputs);
  }
  return y;
}

function activate(layer: DenseLayer, row: Float64Array): void {
  switch (layer.activation) {
    case 'linear':
      return;
    case 'relu':
      row.forEach((v, i) => (row[i] = Math.max(0, v)));
      return;
    case 'sigmoid':
      row.forEach((v, i) => (row[i] = 1 / (1 + Math.exp(-v))));
      return;
    case 'tanh':
      row.forEach((v, i) => (row[i] = Math.tanh(v)));
      return;
    case 'leaky_relu': {
      // ONNX stores alpha as a float32 attribute; round the same way.
      const alpha = Math.fround(layer.alpha ?? DEFAULT_LEAKY_RELU_ALPHA);
      row.forEach((v, i) => (row[i] = v >= 0 ? v : alpha * v));
      return;
    }
    case 'softmax': {
      const max = row.reduce((m, v) => Math.max(m, v), -Infinity);
      let total = 0;
      row.forEach((v, i) => {
        row[i] = Math.exp(v - max);
        total += row[i];
      });
      row.forEach((v, i) => (row[i] = v / total));
      return;
    }
  }
}
