import type { WireError } from '@aimass/errors';
import { z } from 'zod';
import { ARTIFACT_FORMATS } from './artifact-formats.js';
import { SignatureSchema } from './events.js';
import { subjects } from './subjects.js';

/**
 * One NATS request/reply method between services: its subject and the zod schemas of both
 * payloads. The responder parses each request with `request` (a bad one is answered
 * INVALID_ARGUMENT naming the field), and the caller parses each result with `reply`.
 */
export interface RpcMethod<Req extends z.ZodType = z.ZodType, Rep extends z.ZodType = z.ZodType> {
  readonly subject: string;
  readonly request: Req;
  readonly reply: Rep;
}

/** What a caller passes for a method's request. */
export type RpcRequest<M extends RpcMethod> = z.input<M['request']>;
/** What a responder receives, once the request parsed. */
export type RpcParsedRequest<M extends RpcMethod> = z.output<M['request']>;
/** What a responder may return (before the caller parses it). */
export type RpcResult<M extends RpcMethod> = z.input<M['reply']>;
/** What a caller gets back. */
export type RpcReplyOf<M extends RpcMethod> = z.output<M['reply']>;

export function rpcMethod<Req extends z.ZodType, Rep extends z.ZodType>(
  service: string,
  method: string,
  request: Req,
  reply: Rep,
): RpcMethod<Req, Rep> {
  return { subject: subjects.rpc(service, method), request, reply };
}

const modelField = z.string({ error: 'model must be a string' }).min(1, 'model is empty');

const lineage = z.object({
  source_job_id: z.string(),
  study_id: z.string(),
  dataset_digest: z.string(),
  hyperparameters: z.record(z.string(), z.string()),
  metrics: z.record(z.string(), z.number()),
  parent_version: z.number().int().nonnegative(),
});

/** A registry version as it crosses the mesh: the stored record plus the aliases pointing at it. */
export const VersionViewSchema = z.object({
  model: z.string().min(1),
  version: z.number().int().positive(),
  state: z.enum(['READY', 'ARCHIVED', 'DELETED']),
  format: z.enum(ARTIFACT_FORMATS),
  size_bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
  artifact_key: z.string().min(1),
  signature: SignatureSchema,
  created_at: z.string(),
  tags: z.record(z.string(), z.string()),
  /** The model's own tags, as GetVersion answers them (the `monitor.detector` tag may be set on either). */
  model_tags: z.record(z.string(), z.string()).optional(),
  lineage: lineage.optional(),
  reference_statistics_key: z.string().optional(),
  updated_at: z.string().optional(),
  aliases: z.array(z.string()),
});

/** Every request/reply method of the mesh, by service. */
export const RPC = {
  registry: {
    /** A version by number or alias; '' means the production alias, else the latest version. */
    getVersion: rpcMethod(
      'registry',
      'GetVersion',
      z.object({
        model: modelField,
        version: z.string({ error: 'version must be a string (a number or an alias)' }).default(''),
      }),
      VersionViewSchema,
    ),
    /** One page of model names, in name order; an empty next_page_token ends the list. */
    listModels: rpcMethod(
      'registry',
      'ListModels',
      z.object({
        name_prefix: z.string({ error: 'name_prefix must be a string' }).default(''),
        page_size: z
          .number({ error: 'page_size must be a number' })
          .int('page_size must be a whole number')
          .nonnegative('page_size must not be negative')
          .default(0),
        page_token: z.string({ error: 'page_token must be a string' }).default(''),
      }),
      z.object({ names: z.array(z.string()), next_page_token: z.string() }),
    ),
  },
} as const;

/** An error with its causes, as `toWire` in libs/errors writes it. */
export const WireErrorSchema: z.ZodType<WireError> = z.lazy(() =>
  z.object({ kind: z.string(), message: z.string(), cause: WireErrorSchema.optional() }),
);

/** The reply envelope of every request/reply call: a result, or a typed error with its causes. */
export const RpcReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: WireErrorSchema }),
]);
export type RpcReply = z.output<typeof RpcReplySchema>;
