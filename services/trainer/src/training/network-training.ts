import { exportAutoencoder, exportGenerator } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import type { PreparedData } from '../datasets/preprocessing.js';
import type { Checkpoint, EpochSummary } from './checkpoint.js';
import type { NetworkExport } from './export-parity.js';
import { chooseBatch, learningRateAt } from './learning-rate.js';
import { auprc, auroc, DEFAULT_METRICS, type MetricName } from './metric-registry.js';
import type { TrainingCompute } from './training-compute.js';
import type { NetworkSpec } from './training-spec.js';

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
  /** The batch size and base learning rate the run used (see chooseBatch). */
  readonly batchSize: number;
  readonly learningRate: number;
  readonly epochsRun: number;
  readonly resumedFrom: number;
  readonly final?: EpochSummary;
  /** ONNX graphs by role: anomaly, encoder, decoder (AE/VAE); generator (GAN). */
  readonly graphs: Record<string, Uint8Array>;
  /** The weights the graphs were built from; absent when the run stopped. */
  readonly network?: NetworkExport;
}

/** The ONNX graphs of a trained network, by role. */
export function graphsOf(network: NetworkExport): Record<string, Uint8Array> {
  return network.kind === 'generator'
    ? { generator: exportGenerator(network.model) }
    : { ...exportAutoencoder(network.model) };
}

/** Trains an AE, VAE or GAN job on `compute`, epoch by epoch, between the caller's hooks. */
export async function trainNetwork(
  jobId: string,
  spec: NetworkSpec,
  data: PreparedData,
  resume: Checkpoint | undefined,
  hooks: TrainingHooks,
  compute: TrainingCompute,
): Promise<TrainingOutcome> {
  const rng = new SeededRandom(spec.preprocessing.seed ^ 0x5eed);
  const architecture = {
    inputDim: data.features,
    hidden: spec.architecture.hidden,
    latentDim: spec.architecture.latent_dim,
    activation: spec.architecture.activation,
    outputActivation: spec.architecture.output_activation,
    reconstructionLoss: spec.architecture.reconstruction_loss,
  };
  const { batchSize: batch, learningRate: baseRate } = chooseBatch(
    spec,
    compute.defaultBatchSize,
    data.trainRows,
  );
  const session = compute.open(
    {
      family: spec.family as 'ae' | 'vae' | 'gan',
      architecture,
      optimizer: { name: spec.optimizer.name, learningRate: baseRate },
    },
    data,
    rng,
  );
  try {
    let bestLoss = Number.POSITIVE_INFINITY;
    let badEpochs = 0;
    let start = 0;
    const history: EpochSummary[] = [];
    if (resume) {
      await session.restore(resume);
      rng.state = resume.rngState;
      bestLoss = resume.bestLoss;
      badEpochs = resume.badEpochs;
      start = resume.epoch;
      history.push(...resume.history);
    }
    const metrics = (spec.metrics.length > 0 ? spec.metrics : DEFAULT_METRICS[spec.family]) as MetricName[];
    let stopped = false;
    let epoch = start;
    for (; epoch < spec.epochs && !stopped; epoch++) {
      const learningRate = learningRateAt(baseRate, spec.optimizer.schedule, epoch);
      session.setLearningRate(learningRate);
      session.beginEpoch(rng.permutation(data.trainRows));
      let batches = 0;
      let samples = 0;
      const began = performance.now();
      for (let from = 0; from < data.trainRows; from += batch) {
        if (hooks.shouldStop()) {
          stopped = true;
          break;
        }
        const size = Math.min(batch, data.trainRows - from);
        session.trainBatch(from, size, rng);
        batches++;
        samples += size;
        // Lets NATS traffic (cancel requests, in-progress acks) and Dawn's callbacks through between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const lossSums = await session.endEpoch(!stopped);
      if (stopped) break;
      const trainLosses: Record<string, number> = {};
      for (const [name, sum] of Object.entries(lossSums)) trainLosses[name] = sum / batches;
      const seconds = (performance.now() - began) / 1000;
      const evaluation = await session.evaluate(rng);
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
          tensors: await session.snapshot(),
        });
      }
      if (spec.early_stopping !== undefined && badEpochs >= spec.early_stopping.patience) {
        epoch++;
        break;
      }
    }
    const final = history[history.length - 1];
    const network = stopped ? undefined : await session.exportNetwork();
    return {
      stopped,
      batchSize: batch,
      learningRate: baseRate,
      epochsRun: epoch - start,
      resumedFrom: start,
      ...(final ? { final } : {}),
      graphs: network ? graphsOf(network) : {},
      ...(network ? { network } : {}),
    };
  } finally {
    session.dispose();
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
