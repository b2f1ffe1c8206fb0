import { JobSpecSchema, parseInput } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import {
  prunerSpecSchema,
  samplerSpecSchema,
  gridPoints,
  searchSpaceSchema,
  type SearchSpace,
} from '@aimass/tuning';
import { z } from 'zod';
import { parametersReferencedBy, representativeParams, substitute } from '../studies/job-template.js';
import type { StudySpec } from '../studies/study-record.js';

/** What a study asks for: where to search, how, for how long, and (training studies) what to train. */

const SAMPLERS = samplerSpecSchema.options.map((o) => o.shape.type.value);
const PRUNERS = prunerSpecSchema.options.map((o) => o.shape.type.value);

/** A sampler or pruner spec whose unknown `type` is named plainly, instead of zod's union message. */
function typed<T extends z.ZodType>(schema: T, kinds: readonly string[], what: string) {
  return z.unknown().transform((value, ctx): z.output<T> => {
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof value !== 'object' || value === null || !kinds.includes(type as string)) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `unknown ${what} ${JSON.stringify(type)}; known: ${kinds.join(', ')}`,
      });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as (string | number)[] });
    return z.NEVER;
  });
}

const BudgetSchema = z
  .strictObject({
    /** Trials to run (pruned and failed ones count); at most 1000, so a study fits one KV value. */
    trials: z.number().int().min(1).max(1000).optional(),
    /** Wall-clock seconds from creation after which no new trial starts. */
    seconds: z
      .number()
      .positive()
      .max(30 * 86400)
      .optional(),
  })
  .refine((b) => b.trials !== undefined || b.seconds !== undefined, {
    message: 'give trials, seconds or both',
  });

export const StudySpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/, "name may contain only letters, digits, '.', '-' and '_'"),
    direction: z.enum(['minimize', 'maximize']).default('minimize'),
    /** Training studies: the job metric (val_loss or one of the spec's metrics); ask/tell: a label. */
    metric: z.string().min(1).max(100).default('value'),
    space: searchSpaceSchema,
    sampler: typed(samplerSpecSchema, SAMPLERS, 'sampler').default({ type: 'tpe' }),
    pruner: typed(prunerSpecSchema, PRUNERS, 'pruner').default({ type: 'none' }),
    budget: BudgetSchema,
    /** Trials running at once. */
    parallelism: z.number().int().min(1).max(64).default(1),
    /** A trainer job spec in which "{{param}}" strings stand for the trial's parameters. */
    template: z.record(z.string(), z.unknown()).optional(),
    /** Training studies: the alias the best trial's model version gets. */
    alias: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'alias must be lower-case letters, digits, - and _')
      .optional(),
    /** Training studies: attempts after a failed one before the trial is marked failed. */
    retries: z.number().int().min(0).max(10).default(2),
  })
  .superRefine((spec, ctx) => {
    if (spec.sampler.type === 'grid')
      try {
        gridPoints(spec.space as SearchSpace);
      } catch (cause) {
        ctx.addIssue({ code: 'custom', path: ['sampler', 'type'], message: (cause as Error).message });
      }
    if (spec.template === undefined) {
      if (spec.alias !== undefined)
        ctx.addIssue({ code: 'custom', path: ['alias'], message: 'needs a template (a training study)' });
      return;
    }
    const space = spec.space as SearchSpace;
    for (const name of parametersReferencedBy(spec.template))
      if (!(name in space))
        ctx.addIssue({
          code: 'custom',
          path: ['template'],
          message: `"{{${name}}}" names no parameter of the space`,
        });
    // Every parameter at a representative value must give a job the trainer accepts.
    const job = JobSpecSchema.safeParse(substitute(spec.template, representativeParams(space), space));
    if (!job.success)
      for (const issue of job.error.issues)
        ctx.addIssue({
          code: 'custom',
          path: ['template', ...(issue.path as (string | number)[])],
          message: issue.message,
        });
  });

/** Validates a study spec from JSON; INVALID_ARGUMENT names every bad field (`space.lr.low: ...`). */
export function parseStudySpec(json: string): StudySpec {
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch (cause) {
    throw new InvalidArgumentError(
      `invalid study spec: spec_json is not JSON (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new InvalidArgumentError('invalid study spec: it must be a JSON object');
  return parseInput(StudySpecSchema, input, 'study spec') as StudySpec;
}
