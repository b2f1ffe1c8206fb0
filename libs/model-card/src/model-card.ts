import parseSpdx from 'spdx-expression-parse';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * A model card: markdown with a YAML front matter block, in the layout of Hugging Face Hub cards
 * (license, tags, datasets, metrics, base_model, model-index), so a card written for one reads on
 * the other. Unlike there, the metadata is validated when it is stored: a misspelt key, a license
 * that is not an SPDX expression or a result without a value is refused, naming the field.
 */

/** `name` or `name@version` of a registered dataset or model. */
const REF = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}(@[A-Za-z0-9._-]{1,64})?$/;
const refOf = (what: string) =>
  z
    .string()
    .regex(
      REF,
      `must name a registered ${what} as NAME or NAME@VERSION (NAME: letters, digits, '-' and '_')`,
    );

const license = z.string().superRefine((value, ctx) => {
  if (value === 'other' || value === 'unknown') return;
  try {
    parseSpdx(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not an SPDX license expression (e.g. MIT, Apache-2.0, CC-BY-4.0, "MIT OR Apache-2.0"), nor "other"`,
    });
  }
});

const metricResult = z.strictObject({
  type: z.string().min(1, 'names the metric (e.g. reconstruction_mse, mean_log_likelihood)'),
  value: z.number({ error: 'must be a number' }).refine(Number.isFinite, 'must be finite'),
  name: z.string().optional(),
  /** Set by the registry when it re-ran the metric; a card that claims it is refused. */
  verified: z.boolean().optional(),
  verified_value: z.number().optional(),
  verified_at: z.string().optional(),
});

const result = z.strictObject({
  task: z.strictObject({ type: z.string().min(1), name: z.string().optional() }),
  dataset: z.strictObject({
    /** The registered dataset the metric was measured on: what verification re-runs it on. */
    name: refOf('dataset'),
    type: z.string().optional(),
    split: z.string().optional(),
    /** The column of 0/1 labels a ranking metric (auroc, auprc) is measured against. */
    label_column: z.string().min(1).optional(),
    digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be the dataset content SHA-256 (64 hex digits)')
      .optional(),
  }),
  metrics: z.array(metricResult).min(1, 'lists at least one metric'),
});

export const ModelCardMetadataSchema = z.strictObject({
  license: license.optional(),
  tags: z.array(z.string().min(1).max(64)).max(64).optional(),
  datasets: z.array(refOf('dataset')).max(64).optional(),
  metrics: z.array(z.string().min(1).max(64)).max(64).optional(),
  base_model: refOf('model').optional(),
  intended_use: z.string().max(4096).optional(),
  library_name: z.string().optional(),
  pipeline_tag: z.string().optional(),
  /** The platform's own: which job wrote a generated card (absent on a hand-written one). */
  generated_by: z.string().optional(),
  'model-index': z
    .array(z.strictObject({ name: z.string().min(1), results: z.array(result).min(1) }))
    .optional(),
});

export type ModelCardMetadata = z.output<typeof ModelCardMetadataSchema>;

export interface ModelCard {
  readonly metadata: ModelCardMetadata;
  /** The markdown after the front matter. */
  readonly body: string;
}

/** A card that does not validate: `field` is its dotted path (`license`, `model-index.0.results.0.metrics.1.value`). */
export class ModelCardError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'ModelCardError';
  }
}

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * Parses and validates a card. Markdown without front matter is a card with no metadata. Refuses a
 * card that claims `verified` results itself: only the registry's verification sets those.
 */
export function parseModelCard(text: string, options: { allowVerified?: boolean } = {}): ModelCard {
  const match = FRONT_MATTER.exec(text);
  if (!match) {
    if (/^---[ \t]*\r?\n/.test(text))
      throw new ModelCardError('front matter', 'opens with "---" but has no closing "---" line');
    return { metadata: {}, body: text };
  }
  const doc = parseDocument(match[1]!, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0].line;
    throw new ModelCardError(
      'front matter',
      `is not valid YAML${line !== undefined ? ` (line ${line + 1} of the front matter)` : ''}: ${e.message.split('\n')[0]}`,
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ModelCardError('front matter', 'must be a YAML mapping (key: value lines)');
  const parsed = ModelCardMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.join('.');
      const key = issue.keys[0]!;
      const known = Object.keys(issue.path.length === 0 ? ModelCardMetadataSchema.shape : {}).join(', ');
      throw new ModelCardError(
        at ? `${at}.${key}` : key,
        `is not a model card field${known ? ` (the fields are ${known})` : ''}`,
      );
    }
    throw new ModelCardError(issue.path.join('.') || 'front matter', issue.message);
  }
  if (!options.allowVerified) {
    parsed.data['model-index']?.forEach((entry, i) =>
      entry.results.forEach((r, j) =>
        r.metrics.forEach((m, k) => {
          for (const key of ['verified', 'verified_value', 'verified_at'] as const)
            if (m[key] !== undefined)
              throw new ModelCardError(
                `model-index.${i}.results.${j}.metrics.${k}.${key}`,
                'is set by the registry when it re-runs the metric (VerifyModelCard); leave it out',
              );
        }),
      ),
    );
  }
  return { metadata: parsed.data, body: text.slice(match[0].length) };
}
