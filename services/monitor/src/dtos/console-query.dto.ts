import { z } from 'zod';

const points = z.coerce
  .number({ error: 'points must be a number' })
  .int('points must be an integer')
  .min(10, 'points must be at least 10')
  .max(10_000, 'points must be at most 10000')
  .default(500);

const name = (field: string) =>
  z
    .string({ error: `${field} is required` })
    .min(1, `${field} is required`)
    .max(128, `${field} is at most 128 characters`);

/** GET /api/console/training/curves?jobs=a,b&points=N&keys=loss.total,… */
export const TrainingCurvesQuerySchema = z.object({
  jobs: z
    .string({ error: 'jobs is required: job ids separated by commas' })
    .transform((v) => v.split(',').filter((s) => s !== ''))
    .pipe(z.array(z.string().max(128)).min(1, 'jobs names no job').max(200, 'jobs names more than 200 jobs')),
  keys: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v.split(','))),
  points,
});

/** GET /api/console/models/:model/series?points=N */
export const ModelSeriesQuerySchema = z.object({ model: name('model'), points });

/** GET /api/console/data/:model/:version */
export const VersionRefSchema = z.object({
  model: name('model'),
  version: z.string().regex(/^[1-9][0-9]{0,9}$/, 'version must be a version number'),
});

/** GET /api/console/data/:model/:version/live?points=N */
export const VersionLiveQuerySchema = VersionRefSchema.extend({ points });

export type TrainingCurvesQuery = z.output<typeof TrainingCurvesQuerySchema>;

/** GET /api/console/studies/:study?points=N */
export const StudyQuerySchema = z.object({
  study: z
    .string({ error: 'study is required' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, "study must be a study id: letters, digits, '-' and '_'"),
  points,
});
