import * as tf from '@tensorflow/tfjs';
import type { DenseActivation } from '@aimass/onnx';
import { FusedAdamOptimizer } from './fused-adam.js';
import type { SeededRandom } from '@aimass/random';

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

export interface ArchitectureOptions {
  readonly inputDim: number;
  /** Encoder (or generator/discriminator) hidden widths; decoders mirror them. */
  readonly hidden: readonly number[];
  readonly latentDim: number;
  readonly activation: DenseActivation;
  /** Of the decoder / generator output; sigmoid suits data scaled to [0, 1]. */
  readonly outputActivation: DenseActivation;
  readonly reconstructionLoss: 'mse' | 'bce';
}

export interface OptimizerOptions {
  readonly name: OptimizerName;
  readonly learningRate: number;
}

/** What a finished evaluation pass gives: named values, and per-row anomaly scores where the family has them. */
export interface Evaluation {
  readonly values: Record<string, number>;
  readonly rowScores?: Float32Array;
}

/**
 * A model the trainer can drive one batch at a time. The caller owns the loop (so it can cancel
 * between batches, checkpoint, and report); the model owns its variables and optimisers.
 */
export interface TrainableModel {
  readonly family: 'ae' | 'vae' | 'gan';
  /** Every variable a checkpoint must hold, in a fixed order, under names without the model's scope. */
  namedVariables(): Array<{ name: string; variable: tf.Variable }>;
  optimizers(): Record<string, tf.Optimizer>;
  setLearningRate(learningRate: number): void;
  /** One optimiser step; the returned scalars belong to the caller. */
  trainBatch(x: tf.Tensor2D, rng: SeededRandom): Record<string, tf.Scalar>;
  evaluate(x: tf.Tensor2D, rng: SeededRandom): Promise<Evaluation>;
  dispose(): void;
}

let scopes = 0;

/** tfjs registers variable names process-wide; each model gets its own scope so jobs never collide. */
export function nextScope(family: string): string {
  scopes += 1;
  return `${family}${scopes}`;
}

export function makeOptimizer(options: OptimizerOptions): tf.Optimizer {
  switch (options.name) {
    case 'adam':
      return new FusedAdamOptimizer(options.learningRate);
    case 'sgd':
      return tf.train.sgd(options.learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(options.learningRate);
  }
}

/** tfjs reads `learningRate` on every step but only SGD exposes a setter. */
export function setOptimizerLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

/**
 * Reads scalars with one asynchronous download each and disposes them. WebGPU in Node has no
 * synchronous read (dataSync needs a canvas), so everything a family reports is read this way.
 */
export async function readScalars(scalars: Record<string, tf.Scalar>): Promise<Record<string, number>> {
  const entries = Object.entries(scalars);
  try {
    const values = await Promise.all(entries.map(([, t]) => t.data()));
    return Object.fromEntries(entries.map(([k], i) => [k, values[i]?.[0] as number]));
  } finally {
    tf.dispose(entries.map(([, t]) => t));
  }
}

export function unscoped(scope: string, name: string): string {
  return name.startsWith(`${scope}/`) ? name.slice(scope.length + 1) : name;
}
