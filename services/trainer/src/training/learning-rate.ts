export interface ScheduleOptions {
  readonly type: 'constant' | 'exponential' | 'step';
  readonly rate: number;
  readonly step_epochs: number;
}

/** The learning rate for the epoch with 0-based index `epoch`. */
export function learningRateAt(base: number, schedule: ScheduleOptions, epoch: number): number {
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'exponential':
      return base * schedule.rate ** epoch;
    case 'step':
      return base * schedule.rate ** Math.floor(epoch / schedule.step_epochs);
  }
}

export interface BatchChoice {
  readonly batchSize: number;
  readonly learningRate: number;
}

/** The CPU default batch size: what a spec's learning rate refers to when the backend picks the batch. */
export const REFERENCE_BATCH_SIZE = 64;

/** What chooseBatch reads of a job's spec. */
export interface BatchSpec {
  readonly batch_size?: number | undefined;
  readonly optimizer: {
    readonly learning_rate: number;
    readonly reference_batch_size?: number | undefined;
    readonly lr_scaling: 'none' | 'sqrt' | 'linear';
  };
}

/**
 * The batch size a job runs at and the base learning rate for it. A spec without batch_size takes
 * the backend's; its learning rate is then read as chosen for `reference_batch_size` (64 unless
 * named) and scaled by `lr_scaling`, so one spec trains alike on a CPU at 64 and a GPU at 1024.
 */
export function chooseBatch(spec: BatchSpec, backendBatchSize: number, rows: number): BatchChoice {
  const wanted = spec.batch_size ?? backendBatchSize;
  const batchSize = Math.max(1, Math.min(wanted, rows));
  const reference = spec.optimizer.reference_batch_size ?? spec.batch_size ?? REFERENCE_BATCH_SIZE;
  const ratio = batchSize / reference;
  const factor =
    spec.optimizer.lr_scaling === 'linear'
      ? ratio
      : spec.optimizer.lr_scaling === 'sqrt'
        ? Math.sqrt(ratio)
        : 1;
  return { batchSize, learningRate: spec.optimizer.learning_rate * factor };
}
