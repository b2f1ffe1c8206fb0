import * as tf from '@tensorflow/tfjs';
import type { DenseActivation, DenseLayer } from '@aimass/onnx';
import type { SeededRandom } from '@aimass/random';

/** Keras' LeakyReLU default would be 0.3; aimass fixes 0.2 and writes it into the ONNX graph. */
export const LEAKY_RELU_ALPHA = 0.2;

/** A dense layer as two tfjs variables: kernel [in, out] (the Gemm layout) and bias [out]. */
export interface DenseParams {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly activation: DenseActivation;
}

/** Glorot-uniform kernel from the job's seeded RNG, zero bias. */
export function createDense(
  name: string,
  inputs: number,
  outputs: number,
  activation: DenseActivation,
  rng: SeededRandom,
): DenseParams {
  const limit = Math.sqrt(6 / (inputs + outputs));
  const values = new Float32Array(inputs * outputs);
  for (let i = 0; i < values.length; i++) values[i] = (rng.next() * 2 - 1) * limit;
  return {
    kernel: tf.variable(tf.tensor2d(values, [inputs, outputs]), true, `${name}/kernel`),
    bias: tf.variable(tf.zeros([outputs]), true, `${name}/bias`),
    activation,
  };
}

/** Widths → layers: hidden layers use `activation`, the last one `lastActivation`. */
export function createStack(
  name: string,
  widths: readonly number[],
  activation: DenseActivation,
  lastActivation: DenseActivation,
  rng: SeededRandom,
): DenseParams[] {
  const layers: DenseParams[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(
      createDense(
        `${name}_${i - 1}`,
        widths[i - 1] as number,
        widths[i] as number,
        i === widths.length - 1 ? lastActivation : activation,
        rng,
      ),
    );
  }
  return layers;
}

/**
 * One fused kernel (matmul, bias, activation) where tfjs can differentiate through it (linear and
 * relu); other activations follow a fused matmul-and-bias. Fewer kernels per layer matter most on
 * WebGPU, where every dispatch costs host time.
 */
export function applyDense(x: tf.Tensor2D, layer: DenseParams): tf.Tensor2D {
  const fusable = layer.activation === 'relu' || layer.activation === 'linear';
  const z = tf.fused.matMul({
    a: x,
    b: layer.kernel,
    bias: layer.bias,
    activation: fusable ? layer.activation : 'linear',
  }) as tf.Tensor2D;
  return fusable ? z : activate(z, layer.activation);
}

export function applyStack(x: tf.Tensor2D, layers: readonly DenseParams[]): tf.Tensor2D {
  return layers.reduce((h, layer) => applyDense(h, layer), x);
}

function activate(z: tf.Tensor2D, activation: DenseActivation): tf.Tensor2D {
  switch (activation) {
    case 'linear':
      return z;
    case 'relu':
      return tf.relu(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'tanh':
      return tf.tanh(z);
    case 'softmax':
      return tf.softmax(z);
    case 'leaky_relu':
      return tf.leakyRelu(z, LEAKY_RELU_ALPHA);
  }
}

export function stackVariables(layers: readonly DenseParams[]): tf.Variable[] {
  return layers.flatMap((l) => [l.kernel, l.bias]);
}

/** Copies the weights out of tfjs as plain dense layers, for the ONNX writer. */
export async function toDenseLayers(layers: readonly DenseParams[]): Promise<DenseLayer[]> {
  return Promise.all(
    layers.map(async (l) => ({
      weights: Float32Array.from((await l.kernel.data()) as Float32Array),
      bias: Float32Array.from((await l.bias.data()) as Float32Array),
      activation: l.activation,
      ...(l.activation === 'leaky_relu' ? { alpha: LEAKY_RELU_ALPHA } : {}),
    })),
  );
}
