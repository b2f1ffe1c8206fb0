import { z } from 'zod';

/** The longest silence: 30 days. Longer is a config change (or a model taken out of service), not a silence. */
export const MAX_SILENCE_SECONDS = 30 * 24 * 3600;

const required = (field: string, max: number) =>
  z
    .string({ error: `${field} is required` })
    .trim()
    .min(1, `${field} is required`)
    .max(max, `${field} is at most ${max} characters`);

/** AcknowledgeAlert (gRPC) and POST /api/console/alerts/:id/acknowledge. */
export const AcknowledgeAlertSchema = z.object({
  id: required('id', 64),
  by: required('by', 128),
  note: z.string().max(2000, 'note is at most 2000 characters').default(''),
});

/** SilenceAlerts (gRPC) and POST /api/console/silences. */
export const SilenceAlertsSchema = z.object({
  model: required('model', 128),
  version: z
    .string()
    .regex(/^([1-9][0-9]{0,9})?$/, 'version must be a version number, or empty for every version')
    .default(''),
  type: z
    .enum(['', 'monitor.alert.drift', 'monitor.alert.anomaly'], {
      error: 'type must be monitor.alert.drift, monitor.alert.anomaly, or empty for both',
    })
    .default(''),
  duration_seconds: z.coerce
    .number({ error: 'duration_seconds must be a number' })
    .int('duration_seconds must be a whole number of seconds')
    .min(1, 'duration_seconds must be more than 0')
    .max(MAX_SILENCE_SECONDS, `duration_seconds is at most ${MAX_SILENCE_SECONDS} (30 days)`),
  reason: required('reason', 2000),
  by: required('by', 128),
});

/** ListSilences (gRPC) and GET /api/console/silences. */
export const ListSilencesSchema = z.object({
  model: z.string().max(128, 'model names are at most 128 characters').default(''),
  include_expired: z.preprocess((v) => v === true || v === 'true' || v === '1', z.boolean()),
});
