import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@aimass/errors';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { DatasetRepository } from '../repositories/dataset.repository.js';
import { JobQueueRepository } from '../repositories/job-queue.repository.js';
import { JobStoreRepository } from '../repositories/job-store.repository.js';
import { jobIdFor } from '../jobs/job-id.js';
import { type JobRecord, newJobRecord } from '../jobs/job-record.js';
import { JobSubmissionService } from './job-submission.service.js';

const spec = {
  family: 'ae',
  dataset: { builtin: 'anomaly_blobs', rows: 64, features: 4 },
  architecture: { latent_dim: 2 },
  epochs: 2,
};

function requested(data: Record<string, unknown>, id = 'request-1') {
  return {
    id,
    type: 'trainer.job.requested',
    source: 'outside',
    time: '2025-01-01T00:00:00.000Z',
    subject: 'jobs',
    data,
  };
}

function setup(
  store: Partial<JobStoreRepository>,
  queue: Partial<JobQueueRepository> = {},
  datasets: Partial<DatasetRepository> = {},
) {
  return new JobSubmissionService(
    strictMock<JobStoreRepository>(store, 'JobStoreRepository'),
    strictMock<JobQueueRepository>(queue, 'JobQueueRepository'),
    strictMock<DatasetRepository>(datasets, 'DatasetRepository'),
  );
}

/** An update mock that applies the change to `record` the way the KV store would. */
function updating(record: JobRecord) {
  return vi.fn(
    async (_id: string, change: (r: JobRecord) => JobRecord | undefined) => change(record) ?? record,
  );
}

describe('JobSubmissionService.submit', () => {
  it('stores a QUEUED record, then queues the job on its pool', async () => {
    const create = vi.fn(async (r: JobRecord) => r);
    const enqueue = vi.fn().mockResolvedValue(undefined);
    const job = await setup({ create }, { enqueue }).submit({
      job_id: 'job-1',
      spec_json: JSON.stringify({ ...spec, pool: 'gpu' }),
    });
    expect(job).toMatchObject({ job_id: 'job-1', pool: 'gpu', family: 'ae', state: 'QUEUED', epochs: 2 });
    expect(enqueue).toHaveBeenCalledExactlyOnceWith({
      job_id: 'job-1',
      pool: 'gpu',
      spec: { ...spec, pool: 'gpu' },
    });
  });

  it('marks a job FAILED when it cannot be queued and its id was made here, so no record stays QUEUED that nobody knows of', async () => {
    let stored: JobRecord | undefined;
    const create = vi.fn(async (r: JobRecord) => (stored = r));
    const update = vi.fn(async (_id: string, change: (r: JobRecord) => JobRecord | undefined) =>
      change(stored!)!,
    );
    const enqueue = vi.fn().mockRejectedValue(new UnavailableError('JetStream publish timed out'));
    await expect(
      setup({ create, update }, { enqueue }).submit({ job_id: '', spec_json: JSON.stringify(spec) }),
    ).rejects.toThrow(UnavailableError);
    expect(await update.mock.results[0]!.value).toMatchObject({
      state: 'FAILED',
      reason: 'could not be queued: JetStream publish timed out',
    });
  });

  it('leaves a job its caller named QUEUED when it cannot be queued: a retry under the same id queues it', async () => {
    const queued = newJobRecord('job-r', 'cpu', spec);
    const create = vi
      .fn()
      .mockResolvedValueOnce(queued)
      .mockRejectedValueOnce(new AlreadyExistsError('job job-r already exists'));
    const enqueue = vi
      .fn()
      .mockRejectedValueOnce(new UnavailableError('JetStream publish timed out'))
      .mockResolvedValueOnce(undefined);
    const service = setup({ create, get: vi.fn().mockResolvedValue(queued) }, { enqueue });
    const request = { job_id: 'job-r', spec_json: JSON.stringify(spec) };
    await expect(service.submit(request)).rejects.toThrow(UnavailableError);
    expect(await service.submit(request)).toMatchObject({ job_id: 'job-r', state: 'QUEUED' });
    expect(enqueue).toHaveBeenCalledTimes(2);
  });

  it('returns the existing job when the same id is submitted again, and queues nothing new once it runs', async () => {
    const running = { ...newJobRecord('job-1', 'cpu', spec), state: 'RUNNING' as const };
    const create = vi.fn().mockRejectedValue(new AlreadyExistsError('job job-1 already exists'));
    const get = vi.fn().mockResolvedValue(running);
    expect(await setup({ create, get }).submit({ job_id: 'job-1', spec_json: JSON.stringify(spec) })).toBe(
      running,
    );
  });

  it.each([
    ['spec_json that is not JSON', { spec_json: '{' }, /^spec_json is not JSON/],
    ['an empty spec_json', { spec_json: '' }, /spec_json is empty/],
    ['a job id with a slash', { job_id: 'a/b', spec_json: JSON.stringify(spec) }, /job_id may contain only/],
    [
      'a bad spec',
      { spec_json: JSON.stringify({ ...spec, epochs: -1 }) },
      /^invalid training spec: epochs: epochs must be at least 1/,
    ],
  ])('refuses %s as INVALID_ARGUMENT and touches nothing', async (_what, request, message) => {
    await expect(setup({}).submit(request)).rejects.toThrow(InvalidArgumentError);
    await expect(setup({}).submit(request)).rejects.toThrow(message);
  });
});

describe('JobSubmissionService: registered datasets', () => {
  const named = { ...spec, dataset: { name: 'wine', label_column: 'quality' } };

  it('pins a dataset named without a version to the latest one, in the record and the queued spec', async () => {
    const create = vi.fn(async (r: JobRecord) => r);
    const enqueue = vi.fn().mockResolvedValue(undefined);
    const resolveVersion = vi.fn().mockResolvedValue(3);
    await setup({ create }, { enqueue }, { resolveVersion }).submit({
      job_id: 'job-d',
      spec_json: JSON.stringify(named),
    });
    const pinned = { ...named, dataset: { name: 'wine', label_column: 'quality', version: 3 } };
    expect(resolveVersion).toHaveBeenCalledExactlyOnceWith('wine');
    expect(create.mock.calls[0]?.[0].spec).toEqual(pinned);
    expect(enqueue).toHaveBeenCalledExactlyOnceWith({ job_id: 'job-d', pool: 'cpu', spec: pinned });
  });

  it('leaves a named version as it is, without asking the registry', async () => {
    const create = vi.fn(async (r: JobRecord) => r);
    const enqueue = vi.fn().mockResolvedValue(undefined);
    const withVersion = { ...spec, dataset: { name: 'wine', version: 1 } };
    await setup({ create }, { enqueue }).submit({ job_id: 'job-e', spec_json: JSON.stringify(withVersion) });
    expect(enqueue).toHaveBeenCalledExactlyOnceWith({ job_id: 'job-e', pool: 'cpu', spec: withVersion });
  });

  it('refuses an unknown dataset at submission and stores nothing', async () => {
    const resolveVersion = vi.fn().mockRejectedValue(new NotFoundError('no dataset is named "wine"'));
    await expect(
      setup({}, {}, { resolveVersion }).submit({ job_id: 'job-f', spec_json: JSON.stringify(named) }),
    ).rejects.toThrow(NotFoundError);
  });

  it('fails an event-submitted job on an unknown dataset with a FAILED record and event', async () => {
    const record = newJobRecord('job-g', 'cpu', named);
    const update = updating(record);
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    const resolveVersion = vi.fn().mockRejectedValue(new NotFoundError('no dataset is named "wine"'));
    await setup(
      { create: vi.fn(async (r: JobRecord) => r), update },
      { reportFailed },
      { resolveVersion },
    ).enqueue(requested({ job_id: 'job-g', spec: named }));
    expect(reportFailed).toHaveBeenCalledWith(
      expect.objectContaining({ job_id: 'job-g', reason: 'no dataset is named "wine"' }),
    );
  });
});

describe('JobSubmissionService.enqueue', () => {
  it('gives a request without a job id one derived from the request, so a redelivery is the same job', async () => {
    const create = vi.fn(async (r: JobRecord) => r);
    const enqueue = vi.fn().mockResolvedValue(undefined);
    await setup({ create }, { enqueue }).enqueue(requested({ spec }, 'request-9'));
    expect(enqueue).toHaveBeenCalledExactlyOnceWith({ job_id: jobIdFor('request-9'), pool: 'cpu', spec });
  });

  it('fails a request whose spec cannot be trained: FAILED record and event, nothing queued', async () => {
    const record = newJobRecord('job-2', 'cpu', { family: 'rnn' });
    const create = vi.fn(async (r: JobRecord) => r);
    const update = updating(record);
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    await setup({ create, update }, { reportFailed }).enqueue(
      requested({ job_id: 'job-2', spec: { family: 'rnn' } }),
    );
    await expect(update.mock.results[0]?.value).resolves.toMatchObject({
      state: 'FAILED',
      reason: expect.stringContaining('family must be one of'),
    });
    expect(reportFailed).toHaveBeenCalledExactlyOnceWith({
      job_id: 'job-2',
      pool: 'cpu',
      backend: 'none',
      reason: expect.stringMatching(/^invalid training spec: family/),
    });
  });

  it('does nothing for a redelivered request whose job already finished', async () => {
    const create = vi.fn().mockRejectedValue(new AlreadyExistsError('exists'));
    const get = vi.fn().mockResolvedValue({ ...newJobRecord('job-3', 'cpu', spec), state: 'SUCCEEDED' });
    await setup({ create, get }).enqueue(requested({ job_id: 'job-3', spec }));
  });

  it.each([
    ['another event type', { ...requested({ spec }), type: 'registry.model.created' }],
    ['an unknown pool', requested({ pool: 'tpu', spec })],
    ['no spec', requested({ job_id: 'job-1' })],
    ['a job id with spaces', requested({ job_id: 'my job', spec })],
  ])('refuses %s as INVALID_ARGUMENT without touching the store or queue', async (_what, event) => {
    await expect(setup({}).enqueue(event)).rejects.toThrow(InvalidArgumentError);
  });

  it('lets a queue outage through so the request is redelivered', async () => {
    const create = vi.fn(async (r: JobRecord) => r);
    const enqueue = vi.fn().mockRejectedValue(new Error('nats down'));
    await expect(setup({ create }, { enqueue }).enqueue(requested({ spec }))).rejects.toThrow('nats down');
  });
});

describe('JobSubmissionService.cancel', () => {
  it('cancels a queued job at once and says so with an event', async () => {
    const record = newJobRecord('job-4', 'gpu', spec);
    const publish = vi.fn().mockResolvedValue(undefined);
    const job = await setup(
      { get: vi.fn().mockResolvedValue(record), update: updating(record) },
      { publish },
    ).cancel({ job_id: 'job-4' });
    expect(job).toMatchObject({ state: 'CANCELLED', cancel_requested: true });
    expect(publish).toHaveBeenCalledExactlyOnceWith(
      'trainer.job.cancelled',
      expect.objectContaining({ job_id: 'job-4', pool: 'gpu', epoch: 0 }),
    );
  });

  it('only flags a running job: its node stops it and reports', async () => {
    const record = { ...newJobRecord('job-5', 'cpu', spec), state: 'RUNNING' as const };
    const job = await setup({ get: vi.fn().mockResolvedValue(record), update: updating(record) }).cancel({
      job_id: 'job-5',
    });
    expect(job).toMatchObject({ state: 'RUNNING', cancel_requested: true });
  });

  it('refuses a finished job as FAILED_PRECONDITION and an unknown one as NOT_FOUND', async () => {
    const done = { ...newJobRecord('job-6', 'cpu', spec), state: 'SUCCEEDED' as const };
    await expect(setup({ get: vi.fn().mockResolvedValue(done) }).cancel({ job_id: 'job-6' })).rejects.toThrow(
      FailedPreconditionError,
    );
    await expect(
      setup({ get: vi.fn().mockRejectedValue(new NotFoundError('no training job "x"')) }).cancel({
        job_id: 'x',
      }),
    ).rejects.toThrow(NotFoundError);
  });
});

describe('JobSubmissionService.list', () => {
  it('filters by state', async () => {
    const a = newJobRecord('a', 'cpu', spec);
    const b = { ...newJobRecord('b', 'cpu', spec), state: 'FAILED' as const };
    const service = setup({ list: vi.fn().mockResolvedValue([a, b]) });
    expect((await service.list({ state: 'FAILED' })).map((r) => r.job_id)).toEqual(['b']);
    expect((await service.list({ state: '' })).map((r) => r.job_id)).toEqual(['a', 'b']);
    await expect(service.list({ state: 'DONE' })).rejects.toThrow(InvalidArgumentError);
  });
});
