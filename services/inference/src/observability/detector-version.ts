import { FailedPreconditionError } from '@aimass/errors';
import type { ServableVersion } from '../types.js';

/** The output of the platform's anomaly scorers (AE, VAE, GMM): BOOL, score > threshold. */
export const FLAG_OUTPUT = 'is_anomaly';

/** How a detector version scores rows: where they go in, and what its flag rate should be in distribution. */
export interface DetectorUse {
  /** `<model>@<version>` */
  readonly label: string;
  readonly inputName: string;
  readonly threshold: number;
  /** 1 − threshold_percentile / 100. */
  readonly expectedRate: number;
}

/**
 * Checks that `detector` can score rows of `width` features: a scorer exported by the trainer (one
 * FP32 [batch, width] input, a BOOL `is_anomaly` output, and the threshold and its percentile in
 * its lineage). Throws FailedPreconditionError naming what does not fit.
 */
export function detectorUse(detector: ServableVersion, width: number, servedLabel: string): DetectorUse {
  const label = `${detector.model}@${detector.version}`;
  const refuse = (why: string) =>
    new FailedPreconditionError(`the monitor.detector of ${servedLabel} names ${label}, which ${why}`);
  const inputs = detector.signature.inputs;
  const input = inputs[0];
  if (inputs.length !== 1 || !input || input.datatype !== 'FP32' || input.shape.length !== 2)
    throw refuse('does not take one FP32 [batch, features] input');
  const features = input.shape[1]!;
  if (features !== width && features !== -1)
    throw refuse(`takes ${features} features per row but the served input has ${width}`);
  const flag = detector.signature.outputs.find((o) => o.name === FLAG_OUTPUT);
  if (!flag || flag.datatype !== 'BOOL')
    throw refuse(`has no BOOL "${FLAG_OUTPUT}" output; name an AE, VAE or GMM scorer the trainer exported`);
  const threshold = detector.lineage?.metrics.threshold;
  const percentile = Number(detector.lineage?.hyperparameters.threshold_percentile);
  if (threshold === undefined || !Number.isFinite(threshold))
    throw refuse('has no anomaly threshold in its lineage (metrics.threshold)');
  if (!(percentile > 0 && percentile < 100))
    throw refuse('has no threshold_percentile in (0, 100) in its lineage hyperparameters');
  return { label, inputName: input.name, threshold, expectedRate: 1 - percentile / 100 };
}
