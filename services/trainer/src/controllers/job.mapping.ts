import type { trainerv1 } from '@aimass/contracts';
import type { JobRecord } from '../jobs/job-record.js';

export function toJobMessage(record: JobRecord): trainerv1.Job {
  return {
    job_id: record.job_id,
    pool: record.pool,
    family: record.family,
    state: record.state,
    epoch: record.epoch,
    epochs: record.epochs,
    backend: record.backend,
    adapter: record.adapter,
    node_id: record.node_id,
    reason: record.reason,
    losses: record.losses,
    metrics: record.metrics,
    samples_per_second: record.samples_per_second,
    model: record.model,
    version: record.version,
    spec_json: JSON.stringify(record.spec),
    created_at: record.created_at,
    updated_at: record.updated_at,
    cancel_requested: record.cancel_requested,
  };
}
