import type { CovarianceType } from '@aimass/gmm';
import type { ArchitectureOptions } from '@aimass/tfjs/families';
import type { BatchSpec, ScheduleOptions } from './learning-rate.js';
import type { FamilyName } from './metric-registry.js';

// What the training code reads of a job's spec. dtos/job-spec.dto.ts validates a spec and fills in
// its defaults; its output is one of these, which the compiler checks where the services pass it.

interface TrainingSpec {
  readonly family: FamilyName;
  readonly epochs: number;
  /** Metric names (training/metric-registry); empty means the family's defaults. */
  readonly metrics: readonly string[];
  readonly preprocessing: { readonly seed: number };
  /** The anomaly threshold is this percentile of the training rows' scores. */
  readonly threshold_percentile: number;
}

/** An AE, VAE or GAN run (trainNetwork). */
export interface NetworkSpec extends TrainingSpec, BatchSpec {
  readonly architecture: {
    readonly hidden: readonly number[];
    readonly latent_dim: number;
    readonly activation: ArchitectureOptions['activation'];
    readonly output_activation: ArchitectureOptions['activation'];
    readonly reconstruction_loss: 'mse' | 'bce';
  };
  readonly optimizer: BatchSpec['optimizer'] & {
    readonly name: 'adam' | 'sgd' | 'rmsprop';
    readonly schedule: ScheduleOptions;
  };
  /** false: every epoch runs. */
  readonly early_stopping:
    { readonly patience: number; readonly min_delta: number; readonly restore_best: boolean } | false;
  /** Checkpoint after every N epochs (and after the last). */
  readonly checkpoint_every: number;
}

/** A Gaussian mixture fit (trainGmm); `epochs` bounds the EM iterations. */
export interface MixtureSpec extends TrainingSpec {
  readonly architecture: {
    readonly components: number;
    readonly covariance: CovarianceType;
    readonly n_init: number;
    readonly reg_covar: number;
    readonly tol: number;
    readonly init: 'kmeans' | 'k-means++' | 'random';
  };
}
