import { DATATYPES } from '@aimass/tensors';
import { z } from 'zod';

/** A registry model name (also a NATS KV key token in the hub's bucket, so no dots). */
const modelName = z
  .string({ error: 'model is required' })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/,
    'model must be a model name: letters, digits, "-" and "_", at most 128 characters',
  );

/** GET /api/console/hub?q=&tag=&family=&license=&owner= */
export const HubQuerySchema = z.object({
  q: z.string().trim().max(200, 'q is at most 200 characters').default(''),
  tag: z.string().trim().max(64, 'tag is at most 64 characters').default(''),
  family: z.string().trim().max(64, 'family is at most 64 characters').default(''),
  license: z.string().trim().max(200, 'license is at most 200 characters').default(''),
  owner: z.string().trim().max(128, 'owner is at most 128 characters').default(''),
});

export const HubModelSchema = z.object({ model: modelName });

/** GET /api/console/hub/:model/versions/:version/download */
export const HubVersionSchema = z.object({
  model: modelName,
  version: z.string().regex(/^[1-9][0-9]{0,9}$/, 'version must be a version number'),
});

/** POST /api/console/hub/:model/star: star, or take the star back. */
export const StarSchema = z.object({
  model: modelName,
  starred: z.boolean({ error: 'starred must be true or false' }).default(true),
  /** Who stars, with authentication off (with it on, the token's subject). */
  by: z.string().trim().max(128, 'by is at most 128 characters').default(''),
});

/** POST /api/console/hub/:model/posts */
export const PostSchema = z.object({
  model: modelName,
  text: z
    .string({ error: 'text is required' })
    .trim()
    .min(1, 'text is required')
    .max(10_000, 'text is at most 10000 characters'),
  by: z.string().trim().max(128, 'by is at most 128 characters').default(''),
});

const tensor = z.object({
  name: z.string({ error: 'names the input' }).min(1, 'names the input'),
  datatype: z.enum(DATATYPES, { error: `must be an OIP datatype (${DATATYPES.join(', ')})` }),
  shape: z
    .array(z.number().int('dimensions are whole numbers').min(0, 'dimensions are at least 0'))
    .min(1, 'has at least one dimension'),
  data: z.array(z.union([z.number(), z.string(), z.boolean()])).max(1_000_000, 'has at most 1e6 values'),
});

/** POST /api/console/hub/:model/try: an OIP v2 request in its JSON form (inputs with flat data). */
export const TryRequestSchema = z.object({
  model: modelName,
  version: z.string().max(64, 'version is at most 64 characters').default(''),
  inputs: z.array(tensor).min(1, 'inputs lists at least one tensor').max(16, 'inputs lists at most 16'),
});
