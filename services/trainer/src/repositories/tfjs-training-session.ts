import { type SeededRandom } from '@aimass/random';
import { AutoencoderModel, type Evaluation, GanModel, type TrainableModel } from '@aimass/tfjs/families';
import * as tf from '@tensorflow/tfjs';
import type { PreparedData } from '../datasets/preprocessing.js';
import type { Checkpoint, CheckpointTensor } from '../training/checkpoint.js';
import type { NetworkExport } from '../training/export-parity.js';
import type { TrainingCompute, TrainingNetwork, TrainingSession } from '../training/training-compute.js';

/** What a backend asks of training: its default batch size and the largest tensor it holds. */
export interface TrainingPlacement {
  readonly defaultBatchSize: number;
  readonly maxResidentBytes: number;
}

/** Training on the active tfjs backend, with the rows placed as `placement` allows. */
export function tfjsTraining(placement: TrainingPlacement): TrainingCompute {
  return {
    defaultBatchSize: placement.defaultBatchSize,
    open: (network, data, rng) => new TfjsTrainingSession(network, data, rng, placement.maxResidentBytes),
  };
}

class TfjsTrainingSession implements TrainingSession {
  private readonly model: TrainableModel;
  private readonly validation: tf.Tensor2D;
  private readonly rows: TrainingRows;
  private order: EpochOrder | undefined;
  private lossSums = new Map<string, LossSum>();

  constructor(
    network: TrainingNetwork,
    private readonly data: PreparedData,
    rng: SeededRandom,
    maxResidentBytes: number,
  ) {
    const { family, architecture, optimizer } = network;
    this.model =
      family === 'gan'
        ? new GanModel(architecture, optimizer, rng)
        : new AutoencoderModel(family, architecture, optimizer, rng);
    const validationRows = data.validationRows > 0 ? data.validationRows : Math.min(data.trainRows, 1024);
    this.validation = tf.tensor2d(
      data.validationRows > 0 ? data.validation : data.train.subarray(0, validationRows * data.features),
      [validationRows, data.features],
    );
    try {
      // The rows live on the device once where they fit, and each batch is a gather by the epoch's
      // order; otherwise each batch is gathered in host memory and uploaded.
      this.rows = new TrainingRows(data, maxResidentBytes);
    } catch (err) {
      this.validation.dispose();
      this.model.dispose();
      throw err;
    }
  }

  setLearningRate(learningRate: number): void {
    this.model.setLearningRate(learningRate);
  }

  beginEpoch(order: Int32Array): void {
    this.order = this.rows.shuffle(order);
  }

  trainBatch(from: number, size: number, rng: SeededRandom): void {
    const x = (this.order as EpochOrder).batch(from, size);
    const losses = this.model.trainBatch(x, rng);
    x.dispose();
    // Summed on the device; nothing is read back until the epoch ends.
    for (const [name, value] of Object.entries(losses)) {
      if (!this.lossSums.has(name)) this.lossSums.set(name, new LossSum());
      this.lossSums.get(name)?.add(value);
    }
  }

  async endEpoch(read: boolean): Promise<Record<string, number>> {
    this.order?.dispose();
    this.order = undefined;
    const sums: Record<string, number> = {};
    for (const [name, sum] of this.lossSums) {
      if (read) sums[name] = await sum.read();
      sum.dispose();
    }
    this.lossSums = new Map();
    return sums;
  }

  evaluate(rng: SeededRandom): Promise<Evaluation> {
    return this.model.evaluate(this.validation, rng);
  }

  async snapshot(): Promise<CheckpointTensor[]> {
    const tensors: CheckpointTensor[] = [];
    for (const { name, variable } of this.model.namedVariables()) {
      tensors.push({
        name: `var:${name}`,
        shape: variable.shape,
        values: Float32Array.from((await variable.data()) as Float32Array),
      });
    }
    for (const [key, optimizer] of Object.entries(this.model.optimizers())) {
      const weights = await optimizer.getWeights();
      for (const [i, w] of weights.entries())
        tensors.push({
          name: `opt:${key}:${i}:${w.name}`,
          shape: w.tensor.shape,
          values: Float32Array.from((await w.tensor.data()) as Float32Array),
        });
    }
    return tensors;
  }

  async restore(checkpoint: Checkpoint): Promise<void> {
    const byName = new Map(checkpoint.tensors.map((t) => [t.name, t]));
    for (const { name, variable } of this.model.namedVariables()) {
      const saved = byName.get(`var:${name}`);
      if (!saved || saved.values.length !== variable.size)
        throw new Error(
          `checkpoint of job ${checkpoint.jobId} does not match the model: ${name} is missing or reshaped`,
        );
      tf.tidy(() => variable.assign(tf.tensor(saved.values, variable.shape)));
    }
    for (const [key, optimizer] of Object.entries(this.model.optimizers())) {
      const saved = checkpoint.tensors.filter((t) => t.name.startsWith(`opt:${key}:`));
      // tfjs matches optimiser slots to variables by position, so the saved order is restored as is.
      await optimizer.setWeights(
        saved.map((t) => ({
          name: t.name.split(':').slice(3).join(':'),
          tensor: tf.tensor(t.values, t.shape),
        })),
      );
    }
  }

  async exportNetwork(): Promise<NetworkExport> {
    const model = this.model;
    if (model instanceof GanModel)
      return { kind: 'generator', model: await model.toExport(this.data.scaling) };
    return { kind: 'autoencoder', model: await (model as AutoencoderModel).toExport(this.data.scaling) };
  }

  dispose(): void {
    this.order?.dispose();
    for (const sum of this.lossSums.values()) sum.dispose();
    this.rows.dispose();
    this.validation.dispose();
    this.model.dispose();
  }
}

/**
 * A running sum of per-batch scalars kept on the device. Batches are added seven at a time: one
 * kernel per seven batches, and seven inputs plus the output stay within the eight storage buffers
 * every WebGPU adapter allows a kernel.
 */
class LossSum {
  private pending: tf.Scalar[] = [];

  add(value: tf.Scalar): void {
    this.pending.push(value);
    if (this.pending.length === 7) this.fold();
  }

  async read(): Promise<number> {
    this.fold();
    const total = this.pending[0];
    return total ? ((await total.data())[0] as number) : 0;
  }

  dispose(): void {
    tf.dispose(this.pending);
    this.pending = [];
  }

  private fold(): void {
    if (this.pending.length < 2) return;
    const sum = tf.addN(this.pending) as tf.Scalar;
    tf.dispose(this.pending);
    this.pending = [sum];
  }
}

/** The training rows, on the device when they fit in one tensor there, else in host memory. */
class TrainingRows {
  private readonly resident: tf.Tensor2D | undefined;

  constructor(
    private readonly data: PreparedData,
    maxResidentBytes: number,
  ) {
    if (data.trainRows * data.features * 4 <= maxResidentBytes)
      this.resident = tf.tensor2d(data.train, [data.trainRows, data.features]);
  }

  /** One epoch's order. On the device, it is uploaded once and each batch is a slice and a gather. */
  shuffle(order: Int32Array): EpochOrder {
    const resident = this.resident;
    if (resident) {
      const onDevice = tf.tensor1d(order, 'int32');
      return {
        batch: (from, size) => tf.tidy(() => tf.gather(resident, onDevice.slice(from, size)) as tf.Tensor2D),
        dispose: () => onDevice.dispose(),
      };
    }
    const { features, train } = this.data;
    return {
      batch: (from, size) => {
        const rows = new Float32Array(size * features);
        order
          .subarray(from, from + size)
          .forEach((row, i) => rows.set(train.subarray(row * features, (row + 1) * features), i * features));
        return tf.tensor2d(rows, [size, features]);
      },
      dispose: () => undefined,
    };
  }

  dispose(): void {
    this.resident?.dispose();
  }
}

interface EpochOrder {
  batch(from: number, size: number): tf.Tensor2D;
  dispose(): void;
}
