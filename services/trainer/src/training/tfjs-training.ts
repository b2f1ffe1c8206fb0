import { exportAutoencoder, exportGenerator, SeededRandom } from '@aimass/ml';
import { AutoencoderModel, GanModel, type TrainableModel } from '@aimass/ml/families';
import * as tf from '@tensorflow/tfjs';
import type { PreparedData } from '../datasets/preprocessing.js';
import type { JobSpec } from '../dtos/job-spec.dto.js';
import type { Checkpoint, CheckpointTensor, EpochSummary } from './checkpoint.js';
import { learningRateAt } from './learning-rate.js';
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

export interface TrainingOutcome {
  readonly stopped: boolean;
  readonly epochsRun: number;
  readonly resumedFrom: number;
  readonly final?: EpochSummary;
  /** ONNX graphs by role: anomaly, encoder, decoder (AE/VAE); generator (GAN). */
  readonly graphs: Record<string, Uint8Array>;
}

/** Trains an AE, VAE or GAN job with tfjs on the active backend. */
export async function trainTfjs(jobId: string, spec: JobSpec, data: PreparedData, resume: Checkpoint | undefined, hooks: TrainingHooks): Promise<TrainingOutcome> {
  const rng = new SeededRandom(spec.preprocessing.seed ^ 0x5eed);
  const arch = {
    inputDim: data.features,
    hidden: spec.architecture.hidden,
    latentDim: spec.architecture.latent_dim,
    activation: spec.architecture.activation,
    outputActivation: spec.architecture.output_activation,
    reconstructionLoss: spec.architecture.reconstruction_loss,
  };
  const optimizer = { name: spec.optimizer.name, learningRate: spec.optimizer.learning_rate };
  const model = spec.family === 'gan' ? new GanModel(arch, optimizer, rng) : new AutoencoderModel(spec.family as 'ae' | 'vae', arch, optimizer, rng);
  const validation = tf.tensor2d(data.validationRows > 0 ? data.validation : data.train.subarray(0, Math.min(data.trainRows, 1024) * data.features), [data.validationRows > 0 ? data.validationRows : Math.min(data.trainRows, 1024), data.features]);
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
    const batch = Math.min(spec.batch_size, data.trainRows);
    // The rows live in the backend once; each batch is a gather by this epoch's shuffled order.
    const train = tf.tensor2d(data.train, [data.trainRows, data.features]);
    let stopped = false;
    let epoch = start;
    try {
      for (; epoch < spec.epochs && !stopped; epoch++) {
        const learningRate = learningRateAt(spec.optimizer.learning_rate, spec.optimizer.schedule, epoch);
        model.setLearningRate(learningRate);
        const order = tf.tensor1d(rng.permutation(data.trainRows), 'int32');
        const perBatch = new Map<string, tf.Scalar[]>();
        let batches = 0;
        let samples = 0;
        const began = performance.now();
        for (let from = 0; from < data.trainRows; from += batch) {
          if (hooks.shouldStop()) {
            stopped = true;
            break;
          }
          const rows = Math.min(batch, data.trainRows - from);
          const x = tf.tidy(() => tf.gather(train, order.slice(from, rows)) as tf.Tensor2D);
          const losses = model.trainBatch(x, rng);
          x.dispose();
          for (const [name, value] of Object.entries(losses)) {
            const list = perBatch.get(name) ?? [];
            list.push(value);
            perBatch.set(name, list);
          }
          batches++;
          samples += rows;
          // Lets NATS traffic (cancel requests, in-progress acks) through between batches.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        order.dispose();
        const trainLosses: Record<string, number> = {};
        for (const [name, list] of perBatch) {
          if (!stopped) trainLosses[name] = ((await tf.tidy(() => tf.addN(list)).data())[0] as number) / batches;
          tf.dispose(list);
        }
        if (stopped) break;
        const seconds = (performance.now() - began) / 1000;
        const evaluation = model.evaluate(validation, rng);
        const valLoss = evaluation.values.loss as number;
        const epochMetrics: Record<string, number> = {};
        for (const name of metrics) epochMetrics[name] = metricValue(name, evaluation.values, evaluation.rowScores, data.validationLabels);
        const summary: EpochSummary = { epoch: epoch + 1, losses: { ...trainLosses, val_loss: valLoss }, metrics: epochMetrics };
        history.push(summary);
        if (!Number.isFinite(trainLosses.loss as number)) throw new TrainingDivergedError(`the training loss became ${trainLosses.loss} at epoch ${epoch + 1}; lower the learning rate or check the scaling`);
        if (valLoss < bestLoss - (spec.early_stopping?.min_delta ?? 0)) {
          bestLoss = valLoss;
          badEpochs = 0;
        } else {
          badEpochs++;
        }
        await hooks.onEpoch({ ...summary, epochs: spec.epochs, samplesPerSecond: seconds > 0 ? samples / seconds : 0, learningRate });
        const last = epoch + 1 === spec.epochs || (spec.early_stopping !== undefined && badEpochs >= spec.early_stopping.patience);
        if ((epoch + 1) % spec.checkpoint_every === 0 || last) {
          await hooks.saveCheckpoint({ jobId, epoch: epoch + 1, rngState: rng.state, bestLoss, badEpochs, history: history.slice(-50), tensors: await snapshot(model) });
        }
        if (spec.early_stopping !== undefined && badEpochs >= spec.early_stopping.patience) {
          epoch++;
          break;
        }
      }
    } finally {
      train.dispose();
    }
    const final = history[history.length - 1];
    const graphs: Record<string, Uint8Array> = {};
    if (!stopped) {
      if (model instanceof GanModel) graphs.generator = exportGenerator(model.toExport(data.scaling));
      else Object.assign(graphs, exportAutoencoder((model as AutoencoderModel).toExport(data.scaling)));
    }
    return { stopped, epochsRun: epoch - start, resumedFrom: start, ...(final ? { final } : {}), graphs };
  } finally {
    validation.dispose();
    model.dispose();
  }
}

export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
}

function metricValue(name: MetricName, values: Record<string, number>, scores: Float32Array | undefined, labels: Uint8Array | undefined): number {
  if (name === 'auroc' || name === 'auprc') {
    if (!scores || !labels) return Number.NaN;
    return name === 'auroc' ? auroc(scores, labels) : auprc(scores, labels);
  }
  return values[name] ?? Number.NaN;
}

async function snapshot(model: TrainableModel): Promise<CheckpointTensor[]> {
  const tensors: CheckpointTensor[] = model.namedVariables().map(({ name, variable }) => ({ name: `var:${name}`, shape: variable.shape, values: Float32Array.from(variable.dataSync() as Float32Array) }));
  for (const [key, optimizer] of Object.entries(model.optimizers())) {
    const weights = await optimizer.getWeights();
    weights.forEach((w, i) => tensors.push({ name: `opt:${key}:${i}:${w.name}`, shape: w.tensor.shape, values: Float32Array.from(w.tensor.dataSync() as Float32Array) }));
  }
  return tensors;
}

async function restore(model: TrainableModel, checkpoint: Checkpoint): Promise<void> {
  const byName = new Map(checkpoint.tensors.map((t) => [t.name, t]));
  for (const { name, variable } of model.namedVariables()) {
    const saved = byName.get(`var:${name}`);
    if (!saved || saved.values.length !== variable.size) throw new Error(`checkpoint of job ${checkpoint.jobId} does not match the model: ${name} is missing or reshaped`);
    tf.tidy(() => variable.assign(tf.tensor(saved.values, variable.shape)));
  }
  for (const [key, optimizer] of Object.entries(model.optimizers())) {
    const saved = checkpoint.tensors.filter((t) => t.name.startsWith(`opt:${key}:`));
    // tfjs matches optimiser slots to variables by position, so the saved order is restored as is.
    await optimizer.setWeights(saved.map((t) => ({ name: t.name.split(':').slice(3).join(':'), tensor: tf.tensor(t.values, t.shape) })));
  }
}
