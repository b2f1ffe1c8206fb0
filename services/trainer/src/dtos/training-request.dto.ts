import { EVENT_SCHEMAS } from '@aimass/contracts';
import { z } from 'zod';
import { JOB_ID_PATTERN } from '../jobs/job-record.js';

/**
 * A training request or a queued job: both are `trainer.job.requested` envelopes (a queued job
 * always carries its job_id). The spec inside is validated separately (JobSpecSchema) so that a bad
 * spec becomes a FAILED job that says why, rather than a dropped message.
 */
export const TrainingRequestEventSchema = z.object({
  id: z.string().min(1),
  type: z.literal('trainer.job.requested'),
  data: EVENT_SCHEMAS['trainer.job.requested'].extend({
    job_id: z
      .string()
      .regex(JOB_ID_PATTERN, "job_id may contain only letters, digits, '-' and '_' (at most 128)")
      .optional(),
  }),
});

export type TrainingRequestEvent = z.output<typeof TrainingRequestEventSchema>;

export const SubmitJobSchema = z.object({
  job_id: z
    .union([
      z.literal(''),
      z.string().regex(JOB_ID_PATTERN, "job_id may contain only letters, digits, '-' and '_' (at most 128)"),
    ])
    .default(''),
  spec_json: z.string().min(1, 'spec_json is empty; send the training spec as JSON').max(1_000_000),
});

export const JobIdSchema = z.object({
  job_id: z.string().regex(JOB_ID_PATTERN, 'job_id is missing or malformed'),
});
export const ListJobsSchema = z.object({
  state: z.enum(['', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']).default(''),
});
