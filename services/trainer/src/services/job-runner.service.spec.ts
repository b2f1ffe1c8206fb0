import { makeEnvelope } from '@aimass/contracts';
import { DatasetError } from '@aimass/datasets';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { CheckpointRepository } from '../repositories/checkpoint.repository.js';
import { ComputeBackendRepository } from '../repositories/compute-backend.repository.js';
import { DatasetRepository } from '../repositories/dataset.repository.js';
import { JobQueueRepository } from '../repositories/job-queue.repository.js';
import { JobStoreRepository } from '../repositories/job-store.repository.js';
import { ModelRegistryRepository } from '../repositories/model-registry.repository.js';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import { WorkQueueRepository } from '../repositories/work-queue.repository.js';
import { type JobRecord, newJobRecord } from '../jobs/job-record.js';
import { JobRunnerService } from './job-runner.service.js';
import { TrainerNodeService } from './trainer-node.service.js';

const spec = {
  family: 'ae',
  dataset: { builtin: 'anomaly_blobs', rows: 64, features: 4 },
  architecture: { latent_dim: 2 },
  epochs: 2,
};

function delivery(deliveryCount: number) {
  const data = { job_id: 'job-1', pool: 'cpu' as const, spec };
  return {
    deliveryCount,
    envelope: makeEnvelope('trainer.job.requested', {
      id: 'job-1',
      source: 'aimass/trainer',
      subject: 'jobs/job-1',
      data,
    }),
  };
}

describe('JobRunnerService.run', () => {
  it('lets a delivery of a job that runs here follow that run: it trains once and both settle alike', async () => {
    let record: JobRecord = newJobRecord('job-1', 'cpu', spec);
    const loading: Array<(err: Error) => void> = [];
    const load = vi.fn(() => new Promise<never>((_, reject) => loading.push(reject)));
    const update = vi.fn(async (_id: string, change: (r: JobRecord) => JobRecord | undefined) => {
      record = change(record) ?? record;
      return record;
    });
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    const runner = new JobRunnerService(
      strictMock<TrainerNodeService>(
        {
          id: 'node-1',
          pool: 'cpu',
          computeBackend: 'wasm',
          adapter: '',
          jobStarted: vi.fn(),
          jobEnded: vi.fn(),
        },
        'TrainerNodeService',
      ),
      strictMock<ComputeBackendRepository>({}, 'ComputeBackendRepository'),
      strictMock<JobStoreRepository>({ find: vi.fn(async () => record), update }, 'JobStoreRepository'),
      strictMock<JobQueueRepository>({ reportFailed }, 'JobQueueRepository'),
      strictMock<WorkQueueRepository>({}, 'WorkQueueRepository'),
      strictMock<DatasetRepository>({ load }, 'DatasetRepository'),
      strictMock<CheckpointRepository>({}, 'CheckpointRepository'),
      strictMock<ModelRegistryRepository>({}, 'ModelRegistryRepository'),
      strictMock<OnnxRuntimeRepository>({}, 'OnnxRuntimeRepository'),
    );

    const first = runner.run(delivery(1));
    await vi.waitFor(() => expect(load).toHaveBeenCalledTimes(1));
    // JetStream gave up on the first delivery (its in-progress acks were lost) and hands the job over again.
    const again = runner.run(delivery(2));
    await new Promise((resolve) => setImmediate(resolve));
    for (const fail of loading) fail(new DatasetError('row 2 has 3 values but row 1 has 4'));

    expect(await Promise.all([first, again])).toEqual(['done', 'done']);
    expect(load).toHaveBeenCalledTimes(1);
    expect(reportFailed).toHaveBeenCalledTimes(1);
    expect(record).toMatchObject({ state: 'FAILED', reason: 'row 2 has 3 values but row 1 has 4' });
    // Once the run has settled, a later delivery is judged afresh: the job is finished.
    expect(await runner.run(delivery(3))).toBe('done');
    expect(load).toHaveBeenCalledTimes(1);
  });
});
