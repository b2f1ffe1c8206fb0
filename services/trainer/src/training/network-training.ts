import { exportAutoencoder, exportGenerator } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import type { PreparedData } from '../datasets/preprocessing.js';
import { fitOutputVariance, scoreAutoencoder, THRESHOLD_ROWS, thresholdOf } from './anomaly-scoring.js';
import type { Checkpoint, CheckpointTensor, EpochSummary } from './checkpoint.js';
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
  /** AE/VAE: the anomaly threshold, a percentile of the training rows' scores. */
  readonly threshold?: number;
  /** The epoch whose weights were exported (early stopping may restore an earlier one than the last). */
  readonly exportedEpoch?: number;
}

/** Checkpoint tensors under this prefix hold the best epoch's weights, for restore_best. */
const BEST = 'best:';

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
    const stopping = spec.early_stopping === false ? undefined : spec.early_stopping;
    let bestLoss = Number.POSITIVE_INFINITY;
    let badEpochs = 0;
    let start = 0;
    /** With restore_best: the tensors of the epoch with the best validation loss so far. */
    let best: { epoch: number; tensors: CheckpointTensor[] } | undefined;
    const history: EpochSummary[] = [];
    if (resume) {
      await session.restore({
        ...resume,
        tensors: resume.tensors.filter((t) => !t.name.startsWith(BEST)),
      });
      rng.state = resume.rngState;
      bestLoss = resume.bestLoss;
      badEpochs = resume.badEpochs;
      start = resume.epoch;
      history.push(...resume.history);
      const saved = resume.tensors.filter((t) => t.name.startsWith(BEST));
      if (saved.length > 0)
        best = {
          epoch: resume.bestEpoch ?? resume.epoch,
          tensors: saved.map((t) => ({ ...t, name: t.name.slice(BEST.length) })),
        };
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
      if (valLoss < bestLoss - (stopping?.min_delta ?? 0)) {
        bestLoss = valLoss;
        badEpochs = 0;
        if (stopping?.restore_best) best = { epoch: epoch + 1, tensors: await session.snapshot() };
      } else {
        badEpochs++;
      }
      await hooks.onEpoch({
        ...summary,
        epochs: spec.epochs,
        samplesPerSecond: seconds > 0 ? samples / seconds : 0,
        learningRate,
      });
      const last = epoch + 1 === spec.epochs || (stopping !== undefined && badEpochs >= stopping.patience);
      if ((epoch + 1) % spec.checkpoint_every === 0 || last) {
        const current = await session.snapshot();
        const keepBest = best !== undefined && best.epoch !== epoch + 1;
        await hooks.saveCheckpoint({
          jobId,
          epoch: epoch + 1,
          rngState: rng.state,
          bestLoss,
          badEpochs,
          ...(best ? { bestEpoch: best.epoch } : {}),
          history: history.slice(-50),
          tensors: keepBest
            ? [...current, ...best!.tensors.map((t) => ({ ...t, name: BEST + t.name }))]
            : current,
        });
      }
      if (stopping !== undefined && badEpochs >= stopping.patience) {
        epoch++;
        break;
      }
    }
    const final = history[history.length - 1];
    let exportedEpoch = epoch;
    if (!stopped && best && best.epoch !== exportedEpoch) {
      await session.restore({
        jobId,
        epoch: best.epoch,
        rngState: rng.state,
        bestLoss,
        badEpochs,
        history: [],
        tensors: best.tensors,
      });
      exportedEpoch = best.epoch;
    }
    let network = stopped ? undefined : await session.exportNetwork();
    let threshold: number | undefined;
    if (network?.kind === 'autoencoder') {
      // The same training rows fit the output variance the score is weighted by, then set the threshold.
      const rows = Math.min(THRESHOLD_ROWS, data.trainRows);
      const x = data.train.subarray(0, rows * data.features);
      const model = { ...network.model, outputVariance: fitOutputVariance(network.model, x, rows) };
      threshold = thresholdOf(scoreAutoencoder(model, x, rows).score, spec.threshold_percentile);
      network = { kind: 'autoencoder', model: { ...model, threshold } };
    }
    return {
      stopped,
      batchSize: batch,
      learningRate: baseRate,
      epochsRun: epoch - start,
      resumedFrom: start,
      ...(final ? { final } : {}),
      graphs: network ? graphsOf(network) : {},
      ...(network ? { network, exportedEpoch } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
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
