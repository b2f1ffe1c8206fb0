import { exportAutoencoder, exportGenerator } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { AutoencoderModel, GanModel, type TrainableModel } from '@aimass/tfjs/families';
import * as tf from '@tensorflow/tfjs';
import type { PreparedData } from '../datasets/preprocessing.js';
import type { JobSpec } from '../dtos/job-spec.dto.js';
import type { Checkpoint, CheckpointTensor, EpochSummary } from './checkpoint.js';
import { chooseBatch, learningRateAt } from './learning-rate.js';
import { auprc, auroc, DEFAULT_METRICS, type MetricName } from './metric-registry.js';

export interface EpochReport extends EpochSummary {
  readonly epochs: number;
  readonly samplesPerSecond: number;
  readonly learningRate: number;
}

/** What the caller supplies to one run; the run owns the model and every tensor it makes. */
export interface TrainingHooks {
  /** Checked before every batch: true stops the run within one batch. */
  shouldStop(): boolean;
  onEpoch(report: EpochReport): Promise<void>;
  saveCheckpoint(checkpoint: Checkpoint): Promise<void>;
}

/** What the node's compute backend asks of the loop: its default batch size and how much it can hold. */
export interface TrainingPlacement {
  readonly defaultBatchSize: number;
  readonly maxResidentBytes: number;
}

export interface TrainingOutcome {
  readonly stopped: boolean;
  /** The batch size and base learning rate the run used (see chooseBatch). */
  readonly batchSize: number;
  readonly learningRate: number;
  readonly epochsRun: number;
  readonly resumedFrom: number;
  readonly final?: EpochSummary;
  /** ONNX graphs by role: anomaly, encoder, decoder (AE/VAE); generator (GAN). */
  readonly graphs: Record<string, Uint8Array>;
}

/** Trains an AE, VAE or GAN job with tfjs on the active backend. */
export async function trainTfjs(
  jobId: string,
  spec: JobSpec,
  data: PreparedData,
  resume: Checkpoint | undefined,
  hooks: TrainingHooks,
  placement: TrainingPlacement,
): Promise<TrainingOutcome> {
  const rng = new SeededRandom(spec.preprocessing.seed ^ 0x5eed);
  const arch = {
    inputDim: data.features,
    hidden: spec.architecture.hidden,
    latentDim: spec.architecture.latent_dim,
    activation: spec.architecture.activation,
    outputActivation: spec.architecture.output_activation,
    reconstructionLoss: spec.architecture.reconstruction_loss,
  };
  const { batchSize: batch, learningRate: baseRate } = chooseBatch(
    spec,
    placement.defaultBatchSize,
    data.trainRows,
  );
  const optimizer = { name: spec.optimizer.name, learningRate: baseRate };
  const model =
    spec.family === 'gan'
      ? new GanModel(arch, optimizer, rng)
      : new AutoencoderModel(spec.family as 'ae' | 'vae', arch, optimizer, rng);
  const validation = tf.tensor2d(
    data.validationRows > 0
      ? data.validation
      : data.train.subarray(0, Math.min(data.trainRows, 1024) * data.features),
    [data.validationRows > 0 ? data.validationRows : Math.min(data.trainRows, 1024), data.features],
  );
  try {
    let bestLoss = Number.POSITIVE_INFINITY;
    let badEpochs = 0;
    let start = 0;
    const history: EpochSummary[] = [];
    if (resume) {
      await restore(model, resume);
      rng.state = resume.rngState;
      bestLoss = resume.bestLoss;
      badEpochs = resume.badEpochs;
      start = resume.epoch;
      history.push(...resume.history);
    }
    const metrics = (spec.metrics.length > 0 ? spec.metrics : DEFAULT_METRICS[spec.family]) as MetricName[];
    // The rows live on the device once where they fit, and each batch is a gather by this epoch's
    // order; otherwise each batch is gathered in host memory and uploaded.
    const rows = new TrainingRows(data, placement.maxResidentBytes);
    let stopped = false;
    let epoch = start;
    try {
      for (; epoch < spec.epochs && !stopped; epoch++) {
        const learningRate = learningRateAt(baseRate, spec.optimizer.schedule, epoch);
        model.setLearningRate(learningRate);
        const order = rows.shuffle(rng.permutation(data.trainRows));
        const lossSums = new Map<string, LossSum>();
        let batches = 0;
        let samples = 0;
        const began = performance.now();
        for (let from = 0; from < data.trainRows; from += batch) {
          if (hooks.shouldStop()) {
            stopped = true;
            break;
          }
          const size = Math.min(batch, data.trainRows - from);
          const x = order.batch(from, size);
          const losses = model.trainBatch(x, rng);
          x.dispose();
          // Summed on the device; nothing is read back until the epoch ends.
          for (const [name, value] of Object.entries(losses)) {
            if (!lossSums.has(name)) lossSums.set(name, new LossSum());
            lossSums.get(name)?.add(value);
          }
          batches++;
          samples += size;
          // Lets NATS traffic (cancel requests, in-progress acks) and Dawn's callbacks through between batches.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        order.dispose();
        const trainLosses: Record<string, number> = {};
        for (const [name, sum] of lossSums) {
          if (!stopped) trainLosses[name] = (await sum.read()) / batches;
          sum.dispose();
        }
        if (stopped) break;
        const seconds = (performance.now() - began) / 1000;
        const evaluation = await model.evaluate(validation, rng);
        const valLoss = evaluation.values.loss as number;
        const epochMetrics: Record<string, number> = {};
        for (const name of metrics)
          epochMetrics[name] = metricValue(
            name,
            evaluation.values,
            evaluation.rowScores,
            data.validationLabels,
          );
        const summary: EpochSummary = {
          epoch: epoch + 1,
          losses: { ...trainLosses, val_loss: valLoss },
          metrics: epochMetrics,
        };
        history.push(summary);
        if (!Number.isFinite(trainLosses.loss as number))
          throw new TrainingDivergedError(
            `the training loss became ${trainLosses.loss} at epoch ${epoch + 1}; lower the learning rate or check the scaling`,
          );
        if (valLoss < bestLoss - (spec.early_stopping?.min_delta ?? 0)) {
          bestLoss = valLoss;
          badEpochs = 0;
        } else {
          badEpochs++;
        }
        await hooks.onEpoch({
          ...summary,
          epochs: spec.epochs,
          samplesPerSecond: seconds > 0 ? samples / seconds : 0,
          learningRate,
        });
        const last =
          epoch + 1 === spec.epochs ||
          (spec.early_stopping !== undefined && badEpochs >= spec.early_stopping.patience);
        if ((epoch + 1) % spec.checkpoint_every === 0 || last) {
          await hooks.saveCheckpoint({
            jobId,
            epoch: epoch + 1,
            rngState: rng.state,
            bestLoss,
            badEpochs,
            history: history.slice(-50),
            tensors: await snapshot(model),
          });
        }
        if (spec.early_stopping !== undefined && badEpochs >= spec.early_stopping.patience) {
          epoch++;
          break;
        }
      }
    } finally {
      rows.dispose();
    }
    const final = history[history.length - 1];
    const graphs: Record<string, Uint8Array> = {};
    if (!stopped) {
      if (model instanceof GanModel) graphs.generator = exportGenerator(await model.toExport(data.scaling));
      else Object.assign(graphs, exportAutoencoder(await (model as AutoencoderModel).toExport(data.scaling)));
    }
    return {
      stopped,
      batchSize: batch,
      learningRate: baseRate,
      epochsRun: epoch - start,
      resumedFrom: start,
      ...(final ? { final } : {}),
      graphs,
    };
  } finally {
    validation.dispose();
    model.dispose();
  }
}

export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
}

function metricValue(
  name: MetricName,
  values: Record<string, number>,
  scores: Float32Array | undefined,
  labels: Uint8Array | undefined,
): number {
  if (name === 'auroc' || name === 'auprc') {
    if (!scores || !labels) return Number.NaN;
    return name === 'auroc' ? auroc(scores, labels) : auprc(scores, labels);
  }
  return values[name] ?? Number.NaN;
}

async function snapshot(model: TrainableModel): Promise<CheckpointTensor[]> {
  const tensors: CheckpointTensor[] = [];
  for (const { name, variable } of model.namedVariables()) {
    tensors.push({
      name: `var:${name}`,
      shape: variable.shape,
      values: Float32Array.from((await variable.data()) as Float32Array),
    });
  }
  for (const [key, optimizer] of Object.entries(model.optimizers())) {
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

async function restore(model: TrainableModel, checkpoint: Checkpoint): Promise<void> {
  const byName = new Map(checkpoint.tensors.map((t) => [t.name, t]));
  for (const { name, variable } of model.namedVariables()) {
    const saved = byName.get(`var:${name}`);
    if (!saved || saved.values.length !== variable.size)
      throw new Error(
        `checkpoint of job ${checkpoint.jobId} does not match the model: ${name} is missing or reshaped`,
      );
    tf.tidy(() => variable.assign(tf.tensor(saved.values, variable.shape)));
  }
  for (const [key, optimizer] of Object.entries(model.optimizers())) {
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
