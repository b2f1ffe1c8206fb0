import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../datasets/builtin-datasets.js';
import { prepare } from '../datasets/preprocessing.js';
import { tfjsTraining } from '../repositories/tfjs-training-session.js';
import { validateSpec } from '../dtos/job-spec.dto.js';
import { scoreAutoencoder, thresholdOf } from './anomaly-scoring.js';
import type { Checkpoint } from './checkpoint.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { type EpochReport, trainNetwork } from './network-training.js';

/** The cpu backend's placement: batches of 64 unless named, every row resident. */
const CPU = { defaultBatchSize: 64, maxResidentBytes: Number.MAX_SAFE_INTEGER };
const cpu = tfjsTraining(CPU);

function job(family: 'ae' | 'vae' | 'gan', epochs: number, extra: Record<string, unknown> = {}) {
  const spec = validateSpec({
    family,
    dataset: { builtin: 'anomaly_blobs', rows: 240, features: 6 },
    epochs,
    batch_size: 32,
    architecture: { hidden: [12], latent_dim: 3 },
    ...extra,
  });
  const data = prepare(loadBuiltin('anomaly_blobs', 240, 6, 1), {
    scaling: spec.preprocessing.scaling,
    validationSplit: 0.25,
    seed: 42,
  });
  return { spec, data };
}

function recorder() {
  const reports: EpochReport[] = [];
  const checkpoints: Checkpoint[] = [];
  return {
    reports,
    checkpoints,
    hooks: {
      shouldStop: () => false,
      onEpoch: async (r: EpochReport) => void reports.push(r),
      // Through the byte encoding, as S3 would hold it.
      saveCheckpoint: async (c: Checkpoint) => void checkpoints.push(decodeCheckpoint(encodeCheckpoint(c))),
    },
  };
}

describe('trainNetwork', () => {
  it.each(['ae', 'vae', 'gan'] as const)(
    '%s: a run resumed from a checkpoint ends exactly where an uninterrupted run ends',
    async (family) => {
      const { spec, data } = job(
        family,
        4,
        family === 'vae' ? { metrics: ['elbo', 'kl', 'auroc', 'auprc'] } : {},
      );
      const straight = recorder();
      const full = await trainNetwork('j1', spec, data, undefined, straight.hooks, cpu);
      expect(full.stopped).toBe(false);
      expect(straight.reports.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
      expect(Object.keys(full.graphs).sort()).toEqual(
        family === 'gan' ? ['generator'] : ['anomaly', 'decoder', 'encoder'],
      );

      const first = recorder();
      await trainNetwork('j2', { ...spec, epochs: 2 }, data, undefined, first.hooks, cpu);
      const resumed = recorder();
      const rest = await trainNetwork('j2', spec, data, first.checkpoints.at(-1), resumed.hooks, cpu);
      expect(rest.resumedFrom).toBe(2);
      expect(resumed.reports.map((r) => r.epoch)).toEqual([3, 4]);
      expect(resumed.reports.at(-1)?.losses).toEqual(straight.reports.at(-1)?.losses);
      expect(resumed.reports.at(-1)?.metrics).toEqual(straight.reports.at(-1)?.metrics);
      // The best epoch's weights travel in the checkpoint, so the resumed run exports what the straight one does.
      expect(rest.exportedEpoch).toBe(full.exportedEpoch);
      expect(rest.threshold).toBe(full.threshold);
      for (const role of Object.keys(full.graphs)) expect(rest.graphs[role]).toEqual(full.graphs[role]);
      if (family === 'vae') {
        const m = straight.reports.at(-1)?.metrics ?? {};
        expect(m.elbo).toBeCloseTo(-(straight.reports.at(-1)?.losses.val_loss as number), 4);
        expect(m.auroc).toBeGreaterThan(0.5);
        expect(m.auprc).toBeGreaterThan(0);
      }
    },
  );

  it('stops within one batch of a cancel and reports no epoch it did not finish', async () => {
    const { spec, data } = job('ae', 50);
    const batchesPerEpoch = Math.ceil(data.trainRows / (spec.batch_size as number));
    let asked = 0;
    const r = recorder();
    const outcome = await trainNetwork(
      'j3',
      spec,
      data,
      undefined,
      {
        ...r.hooks,
        // Cancel arrives while batch 2 of epoch 2 runs: the check before batch 3 must stop it.
        shouldStop: () => ++asked > batchesPerEpoch + 2,
      },
      cpu,
    );
    expect(outcome.stopped).toBe(true);
    expect(asked).toBe(batchesPerEpoch + 3);
    expect(r.reports.map((x) => x.epoch)).toEqual([1]);
    expect(outcome.graphs).toEqual({});
  });

  it('follows the learning-rate schedule and stops early when validation loss stalls', async () => {
    const { spec, data } = job('ae', 30, {
      optimizer: { learning_rate: 0.01, schedule: { type: 'step', rate: 0.5, step_epochs: 2 } },
      early_stopping: { patience: 1, min_delta: 1e9 },
    });
    const r = recorder();
    const outcome = await trainNetwork('j4', spec, data, undefined, r.hooks, cpu);
    // min_delta is huge, so the first epoch sets the best and the second is already a bad one.
    expect(outcome.epochsRun).toBe(2);
    expect(r.reports.map((x) => x.learningRate)).toEqual([0.01, 0.01]);
    expect(r.checkpoints.at(-1)?.epoch).toBe(2);
  });

  it('stops early by default, exporting the epoch with the best validation loss', async () => {
    const { spec, data } = job('ae', 400, { optimizer: { learning_rate: 0.05 } });
    expect(spec.early_stopping).toEqual({ patience: 10, min_delta: 0, restore_best: true });
    const r = recorder();
    const outcome = await trainNetwork('j8', spec, data, undefined, r.hooks, cpu);
    expect(outcome.epochsRun).toBeLessThan(400);
    const losses = r.reports.map((x) => x.losses.val_loss as number);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(outcome.epochsRun).toBe(best + 10);
    expect(outcome.exportedEpoch).toBe(best);
    // The exported weights score the validation rows at the best epoch's loss, not the last one's.
    const m = outcome.network!.kind === 'autoencoder' ? outcome.network!.model : undefined;
    const { reconstruction } = scoreAutoencoder(m!, data.validation, data.validationRows);
    const mse =
      data.validation.reduce((sum, v, i) => sum + (v - reconstruction[i]!) ** 2, 0) / data.validation.length;
    expect(mse).toBeCloseTo(losses[best - 1]!, 4);
    expect(mse).not.toBeCloseTo(losses.at(-1)!, 6);
  });

  it('runs every epoch with "early_stopping": false', async () => {
    const { spec, data } = job('ae', 12, {
      early_stopping: false,
      optimizer: { learning_rate: 0.05 },
    });
    const outcome = await trainNetwork('j9', spec, data, undefined, recorder().hooks, cpu);
    expect(outcome.epochsRun).toBe(12);
    expect(outcome.exportedEpoch).toBe(12);
  });

  it.each([
    ['ae', 99],
    ['vae', 95],
  ] as const)(
    '%s: the threshold is the %sth percentile of the training scores, and the scorer outputs is_anomaly',
    async (family, percentile) => {
      const { spec, data } = job(family, 3, { threshold_percentile: percentile });
      const outcome = await trainNetwork('j10', spec, data, undefined, recorder().hooks, cpu);
      const model = outcome.network!.kind === 'autoencoder' ? outcome.network!.model : undefined;
      const scores = scoreAutoencoder(model!, data.train, data.trainRows).score;
      expect(outcome.threshold).toBe(thresholdOf(scores, percentile));
      expect(model!.threshold).toBe(outcome.threshold);
      const above = scores.filter((s) => s > outcome.threshold!).length;
      // Interpolated between ranks, as numpy: the rows ranked above (n − 1) · q / 100.
      expect(above).toBe(data.trainRows - 1 - Math.floor(((data.trainRows - 1) * percentile) / 100));
      expect(above).toBeGreaterThan(0);
      expect(Buffer.from(outcome.graphs.anomaly!).includes('is_anomaly')).toBe(true);
    },
  );

  it('trains alike with the rows in host memory, when they do not fit on the device', async () => {
    const { spec, data } = job('vae', 2);
    const resident = recorder();
    await trainNetwork('j5', spec, data, undefined, resident.hooks, cpu);
    const streamed = recorder();
    await trainNetwork(
      'j6',
      spec,
      data,
      undefined,
      streamed.hooks,
      tfjsTraining({ ...CPU, maxResidentBytes: 0 }),
    );
    expect(streamed.reports.map((r) => r.losses)).toEqual(resident.reports.map((r) => r.losses));
  });

  it("takes the backend's batch size when the spec names none, and scales the learning rate for it", async () => {
    const { spec, data } = job('ae', 1);
    const r = recorder();
    const outcome = await trainNetwork(
      'j7',
      { ...spec, batch_size: undefined },
      data,
      undefined,
      r.hooks,
      tfjsTraining({
        ...CPU,
        defaultBatchSize: 128,
      }),
    );
    expect(outcome.batchSize).toBe(128);
    expect(outcome.learningRate).toBeCloseTo(0.001 * Math.sqrt(2), 12);
    expect(r.reports[0]?.learningRate).toBeCloseTo(0.001 * Math.sqrt(2), 12);
  });
});
