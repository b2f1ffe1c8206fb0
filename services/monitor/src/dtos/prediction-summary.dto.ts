import { EVENT_SCHEMAS } from '@aimass/contracts';
import { z } from 'zod';

/** A prediction summary as the monitor accepts it off the bus: an envelope of the one type it aggregates. */
export const PredictionSummaryEventSchema = z.object({
  id: z.string().min(1),
  type: z.literal('inference.prediction.summary'),
  data: EVENT_SCHEMAS['inference.prediction.summary'],
});

export type PredictionSummaryEvent = z.output<typeof PredictionSummaryEventSchema>;
