/** A job as stored in KV `aimass_trainer_jobs` under `jobs.<job_id>`: the one truth every node reads. */
export const JOB_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobRecord {
  readonly job_id: string;
  readonly pool: 'cpu' | 'gpu';
  readonly family: string;
  readonly state: JobState;
  readonly epoch: number;
  readonly epochs: number;
  readonly backend: string;
  /** The GPU a WebGPU backend ran the job on; empty on CPU backends. */
  readonly adapter: string;
  readonly node_id: string;
  readonly reason: string;
  readonly losses: Record<string, number>;
  readonly metrics: Record<string, number>;
  readonly samples_per_second: number;
  readonly model: string;
  readonly version: number;
  readonly spec: Record<string, unknown>;
  readonly created_at: string;
  readonly updated_at: string;
  readonly cancel_requested: boolean;
}

export function isFinished(state: JobState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}

export function newJobRecord(
  jobId: string,
  pool: 'cpu' | 'gpu',
  spec: Record<string, unknown>,
  now = new Date(),
): JobRecord {
  const epochs = typeof spec.epochs === 'number' ? spec.epochs : 0;
  return {
    job_id: jobId,
    pool,
    family: typeof spec.family === 'string' ? spec.family : '',
    state: 'QUEUED',
    epoch: 0,
    epochs: Number.isSafeInteger(epochs) && epochs > 0 ? epochs : 0,
    backend: '',
    adapter: '',
    node_id: '',
    reason: '',
    losses: {},
    metrics: {},
    samples_per_second: 0,
    model: '',
    version: 0,
    spec,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    cancel_requested: false,
  };
}

/** Job ids become KV keys and S3 key segments. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
