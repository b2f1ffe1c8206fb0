import { z } from 'zod';

/** GetModelStats over gRPC, and GET /api/models?model=…: an empty or absent model means every model. */
export const ModelStatsQuerySchema = z.object({
  model: z.string().max(128, 'model names are at most 128 characters').default(''),
});

export type ModelStatsQuery = z.output<typeof ModelStatsQuerySchema>;
