import { z } from 'zod';

/** ListAlerts over gRPC: an empty model means every model; limit 0 means 100. */
export const ListAlertsQuerySchema = z.object({
  model: z.string().max(128, 'model names are at most 128 characters').default(''),
  limit: z.coerce
    .number()
    .int()
    .min(0, 'limit must be 0 or more')
    .max(10_000, 'limit is at most 10000')
    .default(0)
    .transform((l) => (l === 0 ? 100 : l)),
});
