import type { DenseActivation, DenseLayer, DenseNetworkSpec } from './dense-spec.js';
import { SeededRandom } from '@aimass/random';

export interface RandomDenseNetworkOptions {
  inputDim: number;
  /** Widths of the hidden layers, in order; empty gives a single input-to-output layer. */
  hidden: number[];
  outputDim: number;
  seed: number;
  /** Activation of every hidden layer. */
  activation: DenseActivation;
  /** Activation of the output layer; linear unless given. */
  outputActivation?: DenseActivation;
  inputName?: string;
  outputName?: string;
  batch?: 'dynamic' | number;
}

/**
 * A dense network with Glorot-uniform weights and small non-zero biases drawn from a seeded PRNG,
 * so demos and tests get the same model bytes on every run. The result is not validated here;
 * exportDenseNetwork rejects bad dimensions with a precise message.
 */
export function randomDenseNetwork(options: RandomDenseNetworkOptions): DenseNetworkSpec {
  const rng = new SeededRandom(options.seed);
  const uniform = (limit: number): number => (rng.next() * 2 - 1) * limit;
  const widths = [options.inputDim, ...options.hidden, options.outputDim];

  const layers: DenseLayer[] = [];
  for (let i = 1; i < widths.length; i++) {
    const inputs = widths[i - 1];
    const outputs = widths[i];
    const limit = Math.sqrt(6 / (inputs + outputs));
    const weights = Float32Array.from({ length: inputs * outputs }, () => uniform(limit));
    const bias = Float32Array.from({ length: outputs }, () => uniform(0.1));
    const last = i === widths.length - 1;
    const activation = last ? (options.outputActivation ?? 'linear') : options.activation;
    layers.push({ weights, bias, activation });
  }
  return {
    inputName: options.inputName ?? 'input',
    outputName: options.outputName ?? 'output',
    inputDim: options.inputDim,
    layers,
    batch: options.batch ?? 'dynamic',
  };
}
