import type { AimassConfig } from '@aimass/config';
import { detectorTagOf, parseDetectorTag } from '@aimass/contracts';
import { FailedPreconditionError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { LoadedVersion } from '../loading/loaded-version.js';
import { AnomalyCountsByVersion, type VersionAnomalyCounts } from '../observability/anomaly-counts.js';
import { DetectorSamples, type SampledRows } from '../observability/detector-samples.js';
import { detectorUse, FLAG_OUTPUT, type DetectorUse } from '../observability/detector-version.js';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import type { NamedTensor, ServableVersion } from '../types.js';
import { ModelVersionStore } from './model-version-store.service.js';

/** A tag that names no usable detector is not tried again for this long (and logged once per try). */
const REFUSAL_TTL_MS = 30_000;
/** A detector run that takes longer than this is abandoned; its rows count as refused. */
const DETECTOR_DEADLINE_MS = 10_000;

/**
 * Anomaly scoring of live inputs. A served version whose `monitor.detector` tag (on the version, else
 * on its model) names one of the platform's scorers has a share of its input rows
 * (AIMASS_INFERENCE_DETECTOR_SAMPLE_RATE) copied into a bounded queue on the request path; a
 * background drain loads the detector like any other version (digest-checked, in the memory
 * budget), runs the rows through its `is_anomaly` output and counts them for the next prediction
 * summary. Raw rows never leave the process. A tag that names nothing usable (malformed, unknown
 * model, wrong input width, not a scorer) is logged with the reason and its rows are counted as
 * refused; serving is never affected.
 */
@Injectable()
export class DetectorScoringService implements OnModuleDestroy {
  private readonly logger = new Logger(DetectorScoringService.name);
  private readonly samples: DetectorSamples;
  private readonly counts = new AnomalyCountsByVersion();
  /** Per served version and tag value: why its detector is not used, until when. */
  private readonly refused = new Map<string, { reason: string; until: number }>();
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: ModelVersionStore,
    private readonly metrics: InferenceMetricsRepository,
    @Inject(AIMASS_CONFIG) config: Pick<AimassConfig, 'inference'>,
  ) {
    this.samples = new DetectorSamples(
      config.inference.detectorSampleRate,
      config.inference.detectorQueueRows,
    );
  }

  /** The hot path: copies a sample of `input`'s rows when `served` names a detector; never waits. */
  sample(served: ServableVersion, input: NamedTensor | undefined): void {
    const tag = detectorTagOf(served.tags, served.model_tags);
    if (tag === undefined || this.closed) return;
    const refusal = this.refused.get(refusalKey(served, tag));
    if (refusal && refusal.until > Date.now()) return;
    const dropped = this.samples.dropped;
    const queued = this.samples.offer(served.model, served.version, tag, input);
    if (this.samples.dropped > dropped) this.metrics.recordDetectorDropped(this.samples.dropped - dropped);
    if (queued > 0 && !this.draining) this.draining = this.drainSoon();
  }

  /** Every version's counts since the last take, for the next prediction summary. */
  take(): VersionAnomalyCounts[] {
    return this.counts.takeAll();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await this.draining;
  }

  /** Drains the queue after the current tick, until it stays empty. */
  private async drainSoon(): Promise<void> {
    try {
      await new Promise((resolve) => setImmediate(resolve));
      // Once closing, nothing new is scored: a detector load now could outlive the version store.
      while (this.samples.size > 0 && !this.closed)
        for (const batch of this.samples.drain()) await this.score(batch);
    } finally {
      this.draining = undefined;
    }
  }

  private async score(batch: SampledRows): Promise<void> {
    const servedLabel = `model "${batch.model}" version ${batch.version}`;
    try {
      const ref = parseDetectorTag(batch.tag);
      if ('error' in ref) throw new FailedPreconditionError(`${servedLabel}: ${ref.error}`);
      const detector =
        this.store.ready(ref.model, ref.selector) ?? (await this.store.acquire(ref.model, ref.selector));
      const use = detectorUse(detector.version, batch.width, servedLabel);
      const flagged = await this.run(detector, use, batch);
      this.counts.add(
        batch.model,
        String(batch.version),
        { detector: use.label, threshold: use.threshold, expected_rate: use.expectedRate },
        batch.rows,
        flagged,
      );
      this.metrics.recordDetectorScored(batch.model, String(batch.version), use.label, batch.rows);
    } catch (err) {
      this.metrics.recordDetectorRefused(batch.model, String(batch.version), batch.rows);
      const key = refusalKey(batch, batch.tag);
      if ((this.refused.get(key)?.until ?? 0) > Date.now()) return;
      const reason = err instanceof Error ? err.message : String(err);
      this.refused.set(key, { reason, until: Date.now() + REFUSAL_TTL_MS });
      this.logger.warn(
        { model: batch.model, version: batch.version, tag: batch.tag, reason },
        `anomaly detector not used for ${REFUSAL_TTL_MS / 1000} s; its sampled rows are not scored`,
      );
    }
  }

  /** Runs the rows through the detector in requests it accepts; resolves to how many it flagged. */
  private async run(detector: LoadedVersion, use: DetectorUse, batch: SampledRows): Promise<number> {
    let flagged = 0;
    const step = Math.max(1, detector.policy.maxBatchSize);
    for (let at = 0; at < batch.rows; at += step) {
      const rows = Math.min(step, batch.rows - at);
      const result = await detector.scheduler.enqueue({
        inputs: [
          {
            name: use.inputName,
            datatype: 'FP32',
            shape: [rows, batch.width],
            data: batch.values.slice(at * batch.width, (at + rows) * batch.width),
          },
        ],
        outputs: [FLAG_OUTPUT],
        deadline: Date.now() + DETECTOR_DEADLINE_MS,
      });
      const flags = result.outputs.find((o) => o.name === FLAG_OUTPUT)?.data;
      if (!flags) throw new FailedPreconditionError(`${use.label} returned no ${FLAG_OUTPUT}`);
      for (let i = 0; i < rows; i++) if (flags[i]) flagged++;
    }
    return flagged;
  }
}

function refusalKey(served: { model: string; version: number }, tag: string): string {
  return `${served.model}\u0000${served.version}\u0000${tag}`;
}
