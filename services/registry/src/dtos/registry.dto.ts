import { z } from 'zod';

const MAX_NAME = 128;

/**
 * Model names become KV keys and S3 key segments, so they are restricted to one safe token:
 * letters, digits, '-' and '_', starting with a letter or digit.
 */
export const ModelNameSchema = z
  .string()
  .superRefine((name, ctx) => {
    const problem = modelNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function modelNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'model name is empty';
  if (name.length > MAX_NAME) return `model name is ${name.length} characters long; the limit is ${MAX_NAME}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'model name contains control characters';
  if (name.includes('/') || name.includes('\\')) return `model name "${name}" contains a path separator; use '-' or '_' instead`;
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
  .regex(/^[a-z][a-z0-9_-]*$/, "alias name must start with a lowercase letter and contain only a-z, 0-9, '-' and '_'");

export const FormatSchema = z
  .enum(['onnx', 'tfjs', ''])
  .default('')
  .transform((f) => (f === '' ? 'onnx' : f))
  .refine((f) => f === 'onnx', { message: 'only ONNX artifacts are accepted so far; tfjs support is planned' });

export const PushHeaderSchema = z.object({
  model: ModelNameSchema,
  format: FormatSchema,
  size_bytes: z.coerce.number().int().nonnegative().default(0),
  sha256: z.union([z.literal(''), z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex characters')]).default('').transform((s) => s.toLowerCase()),
  alias: z.union([z.literal(''), AliasNameSchema]).default(''),
  tags: z.record(z.string(), z.string()).default({}),
  description: z.string().max(10_000).default(''),
});
export type PushHeader = z.output<typeof PushHeaderSchema>;

/** '' (production alias, else latest), a version number, or an alias name. */
export const VersionSelectorSchema = z.union([
  z.literal(''),
  z.string().regex(/^[1-9][0-9]{0,8}$/),
  AliasNameSchema,
], { error: 'version must be empty, a version number (1, 2, ...) or an alias name' });
