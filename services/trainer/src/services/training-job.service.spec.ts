import { loadConfig } from '@aimass/config';
import { InvalidArgumentError } from '@aimass/errors';
import { strictMock } from '@aimass/runtime';
import { describe, expect, it, vi } from 'vitest';
import { JobQueueRepository } from '../repositories/job-queue.repository.js';
import { jobIdFor } from '../trainer/job-id.js';
import { TrainingJobService } from './training-job.service.js';

function requested(data: Record<string, unknown>, id = 'request-1') {
  return { id, type: 'trainer.job.requested', source: 'outside', time: '2025-01-01T00:00:00.000Z', subject: 'jobs', data };
}

function setup(expected: Partial<JobQueueRepository>, pool: 'cpu' | 'gpu' = 'cpu') {
  const queue = strictMock<JobQueueRepository>(expected, 'JobQueueRepository');
  return new TrainingJobService(loadConfig({ AIMASS_TRAINER_POOL: pool }), queue);
}

describe('TrainingJobService.enqueue', () => {
  it('queues a request on its pool with the job id it named', async () => {
    const enqueue = vi.fn().mockResolvedValue(undefined);
    await setup({ enqueue }).enqueue(requested({ job_id: 'job-7', pool: 'gpu', spec: { family: 'vae', epochs: 3 } }));
    expect(enqueue).toHaveBeenCalledExactlyOnceWith({ job_id: 'job-7', pool: 'gpu', spec: { family: 'vae', epochs: 3 } });
  });

  it('gives a request without a job id one derived from the request, so a redelivery is the same job', async () => {
    const enqueue = vi.fn().mockResolvedValue(undefined);
    const service = setup({ enqueue });
    await service.enqueue(requested({ spec: { family: 'gmm' } }, 'request-9'));
    await service.enqueue(requested({ spec: { family: 'gmm' } }, 'request-9'));
    expect(enqueue).toHaveBeenCalledTimes(2);
    expect(enqueue).toHaveBeenNthCalledWith(1, { job_id: jobIdFor('request-9'), pool: 'cpu', spec: { family: 'gmm' } });
    expect(enqueue.mock.calls[1]).toEqual(enqueue.mock.calls[0]);
  });

  it.each([
    ['no family', {}, 'family'],
    ['an empty family', { family: '' }, 'name the model family to train'],
    ['a family that is not a string', { family: 42 }, 'family'],
  ])('fails a request with %s at once, and queues nothing', async (_what, spec, expected) => {
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    await setup({ reportFailed }).enqueue(requested({ job_id: 'job-1', pool: 'gpu', spec }));
    expect(reportFailed).toHaveBeenCalledExactlyOnceWith({ job_id: 'job-1', pool: 'gpu', backend: 'none', reason: expect.stringContaining(expected) });
    expect(reportFailed.mock.calls[0]?.[0].reason).toMatch(/^invalid training spec: /);
  });

  it.each([
    ['another event type', { ...requested({ spec: { family: 'ae' } }), type: 'registry.model.created' }],
    ['an unknown pool', requested({ pool: 'tpu', spec: { family: 'ae' } })],
    ['no spec', requested({ job_id: 'job-1' })],
  ])('refuses %s as INVALID_ARGUMENT without touching the queue', async (_what, event) => {
    await expect(setup({}).enqueue(event)).rejects.toThrow(InvalidArgumentError);
  });

  it('lets a queue outage through so the request is redelivered', async () => {
    const enqueue = vi.fn().mockRejectedValue(new Error('nats down'));
    await expect(setup({ enqueue }).enqueue(requested({ spec: { family: 'ae' } }))).rejects.toThrow('nats down');
  });
});

describe('TrainingJobService.run', () => {
  it('fails the job, naming the family no engine exists for, and never reports success', async () => {
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    await setup({ reportFailed }, 'gpu').run(requested({ job_id: 'job-3', pool: 'gpu', spec: { family: 'gan' } }, 'job-3'));
    expect(reportFailed).toHaveBeenCalledExactlyOnceWith({
      job_id: 'job-3',
      pool: 'gpu',
      backend: 'none',
      reason: 'no training engine for family "gan" is available in this build',
    });
  });

  it('uses the envelope id when a job put on the queue directly has no job id', async () => {
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    await setup({ reportFailed }).run(requested({ spec: { family: 'ae' } }, 'envelope-5'));
    expect(reportFailed).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ job_id: 'envelope-5', pool: 'cpu' }));
  });

  it('fails a queued job whose spec is unusable, saying why', async () => {
    const reportFailed = vi.fn().mockResolvedValue(undefined);
    await setup({ reportFailed }).run(requested({ job_id: 'job-4', spec: {} }));
    expect(reportFailed).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ job_id: 'job-4', reason: expect.stringMatching(/^invalid training spec: family/) }));
  });

  it('lets a failed report through so the job is redelivered rather than lost', async () => {
    const reportFailed = vi.fn().mockRejectedValue(new Error('nats down'));
    await expect(setup({ reportFailed }).run(requested({ job_id: 'job-3', spec: { family: 'gan' } }))).rejects.toThrow('nats down');
  });
});
