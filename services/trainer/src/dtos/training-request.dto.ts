import { EVENT_SCHEMAS } from '@aimass/contracts';
import { z } from 'zod';

/**
 * A training request or a queued job: both are `trainer.job.requested` envelopes (a queued job
 * always carries its job_id). The spec stays open until the engines define theirs; what every job
 * needs now is the model family it trains.
 */
export const TrainingRequestEventSchema = z.object({
  id: z.string().min(1),
  type: z.literal('trainer.job.requested'),
  data: EVENT_SCHEMAS['trainer.job.requested'],
});

export type TrainingRequestEvent = z.output<typeof TrainingRequestEventSchema>;

export const TrainingSpecSchema = z.looseObject({
  family: z.string().min(1, 'name the model family to train').max(64),
});
