import type { ArchitectureOptions, Evaluation, OptimizerOptions } from '@aimass/tfjs/families';
import type { SeededRandom } from '@aimass/random';
import type { PreparedData } from '../datasets/preprocessing.js';
import type { Checkpoint, CheckpointTensor } from './checkpoint.js';
import type { NetworkExport } from './export-parity.js';

/**
 * What the training loop needs from the node's compute device. The loop owns the schedule (epochs,
 * batches, cancel checks, checkpoints, early stopping); the device side, a repository, owns every
 * tensor.
 */
export interface TrainingCompute {
  /** Rows per batch when a spec names none: large on a GPU, where each step costs host time. */
  readonly defaultBatchSize: number;
  /** Builds the network (its initial weights drawn from `rng`) and places the rows on the device. */
  open(network: TrainingNetwork, data: PreparedData, rng: SeededRandom): TrainingSession;
}

export interface TrainingNetwork {
  readonly family: 'ae' | 'vae' | 'gan';
  readonly architecture: ArchitectureOptions;
  readonly optimizer: OptimizerOptions;
}

/** One network and its data on the device; `dispose` frees every tensor it made. */
export interface TrainingSession {
  setLearningRate(learningRate: number): void;
  /** Starts an epoch that visits the training rows in this order. */
  beginEpoch(order: Int32Array): void;
  /** One optimiser step on rows [from, from + size) of the epoch's order; the losses stay on the device. */
  trainBatch(from: number, size: number, rng: SeededRandom): void;
  /** Ends the epoch: the per-batch losses summed by name, read back when `read`, else only freed. */
  endEpoch(read: boolean): Promise<Record<string, number>>;
  /** Validation rows, or the first training rows when there are none. */
  evaluate(rng: SeededRandom): Promise<Evaluation>;
  snapshot(): Promise<CheckpointTensor[]>;
  restore(checkpoint: Checkpoint): Promise<void>;
  /** The trained weights, as the ONNX graphs are built from them. */
  exportNetwork(): Promise<NetworkExport>;
  dispose(): void;
}
