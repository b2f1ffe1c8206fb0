import { InvalidArgumentError } from '@aimass/errors';
import type { z } from 'zod';

/**
 * Parses untrusted input with a zod schema, turning every problem into one INVALID_ARGUMENT whose
 * message names each offending field, e.g. `invalid push header: model: model name is empty`.
 */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) =>
    i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message,
  );
  throw new InvalidArgumentError(`invalid ${what}: ${issues.join('; ')}`);
}
