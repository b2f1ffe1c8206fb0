import { CONVERSION_TARGETS } from '@aimass/onnx';
import { z } from 'zod';
import { ARTIFACT_FORMATS, DETECTOR_TAG, parseDetectorTag } from '@aimass/contracts';
import { DATASET_FORMATS } from '@aimass/datasets';
import { ModelCardError, parseModelCard } from '@aimass/model-card';
import { EMPTY_LINEAGE } from '../records/records.js';
import { ORDER_KEYS } from '../search/model-search.js';

/** The configurable part of the naming rules (AIMASS_REGISTRY_MAX_NAME_LENGTH, AIMASS_REGISTRY_NAME_PATTERN). */
export interface NameRules {
  readonly maxNameLength: number;
  readonly namePattern: string;
}

export const DEFAULT_NAME_RULES: NameRules = { maxNameLength: 128, namePattern: '' };

/**
 * Model names become KV keys and S3 key segments, so they are always restricted to one safe token:
 * letters, digits, '-' and '_', starting with a letter or digit. Deployments may narrow that further.
 */
export function modelNameSchema(rules: NameRules = DEFAULT_NAME_RULES) {
  const extra = rules.namePattern ? new RegExp(rules.namePattern) : undefined;
  return z.string().superRefine((name, ctx) => {
    const problem =
      modelNameProblem(name, rules.maxNameLength) ??
      (extra && !extra.test(name)
        ? `model name "${name}" does not match this registry's naming rule ${rules.namePattern} (AIMASS_REGISTRY_NAME_PATTERN)`
        : undefined);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export const ModelNameSchema = modelNameSchema();

function modelNameProblem(name: string, max: number): string | undefined {
  if (name.length === 0) return 'model name is empty';
  if (name.length > max)
    return `model name is ${name.length} characters long; the limit is ${max} (AIMASS_REGISTRY_MAX_NAME_LENGTH)`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'model name contains control characters';
  if (name.includes('/') || name.includes('\\'))
    return `model name "${name}" contains a path separator; use '-' or '_' instead`;
  if (name.includes('..') || name.startsWith('.')) return `model name "${name}" looks like a relative path`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
    return `model name "${name}" may contain only letters, digits, '-' and '_', and must start with a letter or digit`;
  }
  return undefined;
}

/** Alias names start with a letter, so a version selector is never ambiguous between `3` and an alias. */
export const AliasNameSchema = z
  .string()
  .min(1, 'alias name is empty')
  .max(63, 'alias name is longer than 63 characters')
  .regex(
    /^[a-z][a-z0-9_-]*$/,
    "alias name must start with a lowercase letter and contain only a-z, 0-9, '-' and '_'",
  );

export const FormatSchema = z
  .enum([...ARTIFACT_FORMATS, ''], {
    error:
      "format must be 'onnx', 'onnx-external' (a tar of one graph and its external-data files) or 'tfjs' (a tar of the directory holding model.json and its weight files)",
  })
  .default('')
  .transform((f) => (f === '' ? 'onnx' : f));

const TagsSchema = z
  .record(
    z.string().min(1, 'a tag key is empty').max(128, 'a tag key is longer than 128 characters'),
    z.string().max(1024, 'a tag value is longer than 1024 characters'),
  )
  .refine((t) => Object.keys(t).length <= 64, 'at most 64 tags')
  .superRefine((t, ctx) => {
    // The monitor.detector tag is read by inference; a value it cannot read is refused here.
    const value = t[DETECTOR_TAG];
    if (value === undefined) return;
    const ref = parseDetectorTag(value);
    if ('error' in ref) ctx.addIssue({ code: 'custom', message: ref.error, path: [DETECTOR_TAG] });
  });
const OwnerSchema = z.string().max(128, 'owner is longer than 128 characters');
const FrameworkSchema = z.union([
  z.literal(''),
  z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9._-]{0,63}$/,
      "framework must be lowercase letters, digits, '.', '_' or '-' (e.g. pytorch, sklearn, tfjs)",
    ),
]);
/** Markdown with YAML front matter (license, tags, datasets, metrics, model-index …), validated field by field. */
const ModelCardSchema = z
  .string()
  .max(256 * 1024, 'the model card is longer than 256 KiB')
  .superRefine((text, ctx) => {
    try {
      parseModelCard(text);
    } catch (err) {
      if (!(err instanceof ModelCardError)) throw err;
      ctx.addIssue({ code: 'custom', path: [err.field], message: err.problem });
    }
  });
const DescriptionSchema = z.string().max(10_000, 'description is longer than 10000 characters');

/** proto3 doubles arrive as numbers; int64/uint64 as decimal strings. */
const finite = z.coerce.number().refine(Number.isFinite, 'must be a finite number');
const count = z.coerce.number().int().nonnegative();

export const LineageSchema = z
  .object({
    source_job_id: z.string().max(256).default(''),
    study_id: z.string().max(256).default(''),
    dataset_digest: z.string().max(256).default(''),
    hyperparameters: z.record(z.string(), z.string().max(4096)).default({}),
    metrics: z.record(z.string(), finite).default({}),
    parent_version: count.default(0),
    converted_from: z.string().max(512).default(''),
    conversion: z.string().max(64).default(''),
  })
  .default(EMPTY_LINEAGE);

const FeatureStatisticsSchema = z.object({
  name: z.string().min(1, 'every feature needs a name').max(256),
  count: count.default(0),
  mean: finite.default(0),
  stddev: finite.default(0),
  min: finite.default(0),
  max: finite.default(0),
  quantiles: z
    .array(
      z.object({
        q: finite.refine((q) => q >= 0 && q <= 1, 'a quantile level must be within 0..1'),
        value: finite,
      }),
    )
    .max(1001)
    .default([]),
  histogram: z
    .object({ edges: z.array(finite).max(10_001), counts: z.array(count).max(10_000) })
    .nullish()
    .refine(
      (h) => !h || (h.edges.length === 0 && h.counts.length === 0) || h.edges.length === h.counts.length + 1,
      'a histogram needs one more edge than counts',
    )
    .transform((h) => h ?? { edges: [], counts: [] }),
});

export const ReferenceStatisticsSchema = z.object({
  features: z
    .array(FeatureStatisticsSchema)
    .min(1, 'reference statistics need at least one feature')
    .max(100_000),
  sample_count: count.default(0),
  computed_at: z.string().max(64).default(''),
});
export type ReferenceStatistics = z.output<typeof ReferenceStatisticsSchema>;

export function pushHeaderSchema(rules: NameRules = DEFAULT_NAME_RULES) {
  return z.object({
    model: modelNameSchema(rules),
    format: FormatSchema,
    size_bytes: z.coerce.number().int().nonnegative().default(0),
    sha256: z
      .union([z.literal(''), z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex characters')])
      .default('')
      .transform((s) => s.toLowerCase()),
    alias: z.union([z.literal(''), AliasNameSchema]).default(''),
    tags: TagsSchema.default({}),
    description: DescriptionSchema.default(''),
    lineage: LineageSchema.nullish().transform((l) => l ?? LineageSchema.parse(undefined)),
    reference_statistics: ReferenceStatisticsSchema.nullish().transform((r) => r ?? undefined),
    owner: OwnerSchema.default(''),
    framework: FrameworkSchema.default(''),
    model_card: ModelCardSchema.default(''),
  });
}
export const PushHeaderSchema = pushHeaderSchema();

/** Datasets are named by the same rules as models. */
export function pushDatasetHeaderSchema(rules: NameRules = DEFAULT_NAME_RULES) {
  return z.object({
    name: modelNameSchema(rules),
    format: z.enum(DATASET_FORMATS, { error: `format must be one of ${DATASET_FORMATS.join(', ')}` }),
    size_bytes: z.coerce.number().int().nonnegative().default(0),
    sha256: z
      .union([z.literal(''), z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex characters')])
      .default('')
      .transform((s) => s.toLowerCase()),
    description: DescriptionSchema.default(''),
    no_header: z.boolean().default(false),
  });
}
export type PushDatasetHeader = z.output<ReturnType<typeof pushDatasetHeaderSchema>>;
export type PushHeader = z.output<typeof PushHeaderSchema>;

export function createModelSchema(rules: NameRules = DEFAULT_NAME_RULES) {
  return z.object({
    name: modelNameSchema(rules),
    description: DescriptionSchema.default(''),
    tags: TagsSchema.default({}),
    owner: OwnerSchema.default(''),
    framework: FrameworkSchema.default(''),
    model_card: ModelCardSchema.default(''),
  });
}
export type CreateModelInput = z.output<ReturnType<typeof createModelSchema>>;

export const UPDATABLE_MODEL_FIELDS = ['description', 'tags', 'model_card', 'owner', 'framework'] as const;
export type UpdatableModelField = (typeof UPDATABLE_MODEL_FIELDS)[number];

export function updateModelSchema(rules: NameRules = DEFAULT_NAME_RULES) {
  return z.object({
    name: modelNameSchema(rules),
    update_mask: z
      .array(
        z.enum(UPDATABLE_MODEL_FIELDS, {
          error: `update_mask may name only ${UPDATABLE_MODEL_FIELDS.join(', ')}`,
        }),
      )
      .min(1, `update_mask is empty: name the fields to change (${UPDATABLE_MODEL_FIELDS.join(', ')})`),
    description: DescriptionSchema.default(''),
    tags: TagsSchema.default({}),
    model_card: ModelCardSchema.default(''),
    owner: OwnerSchema.default(''),
    framework: FrameworkSchema.default(''),
  });
}
export type UpdateModelInput = z.output<ReturnType<typeof updateModelSchema>>;

export const ListModelsQuerySchema = z.object({
  name_prefix: z.string().max(200).default(''),
  page_size: z.coerce.number().int().nonnegative().default(0),
  page_token: z.string().max(4096).default(''),
  tags: z.record(z.string(), z.string()).default({}),
  framework: z.string().max(64).default(''),
  owner: z.string().max(128).default(''),
  order_by: z
    .string()
    .default('')
    .transform((o) => o || 'name')
    .pipe(
      z
        .string()
        .regex(
          new RegExp(`^-?(${ORDER_KEYS.join('|')})$`),
          `order_by must be one of ${ORDER_KEYS.join(', ')}, optionally with a leading '-' for descending`,
        ),
    ),
});
export type ListModelsQuery = z.output<typeof ListModelsQuerySchema>;

export const VersionStateSchema = z.enum(['READY', 'ARCHIVED', 'DELETED'], {
  error: 'state must be READY, ARCHIVED or DELETED',
});

/** '' (production alias, else latest), a version number, or an alias name. */
export const VersionSelectorSchema = z.union(
  [z.literal(''), z.string().regex(/^[1-9][0-9]{0,8}$/), AliasNameSchema],
  { error: 'version must be empty, a version number (1, 2, ...) or an alias name' },
);

export const ConvertRequestSchema = z.object({
  model: z.string(),
  version: z.string().default(''),
  to: z.enum(CONVERSION_TARGETS, {
    error: (issue) =>
      `unknown conversion target ${JSON.stringify(issue.input)}; use one of ${CONVERSION_TARGETS.join(', ')}`,
  }),
  calibration_dataset: z.string().default(''),
  calibration_dataset_version: count.default(0),
});
export type ConvertRequest = z.output<typeof ConvertRequestSchema>;

export const VerifyModelCardSchema = z.object({
  model: z.string(),
  version: z.string().default(''),
});
