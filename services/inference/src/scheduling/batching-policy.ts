import { InvalidArgumentError } from '@aimass/errors';
import type { Signature } from '@aimass/contracts';

/** How a model version's requests are scheduled (Triton's dynamic_batching block). */
export interface BatchingPolicy {
  /** Rows per execution; 1 means requests run one by one (DirectScheduler). */
  readonly maxBatchSize: number;
  /** How long the oldest queued request may wait for a fuller batch while an instance is idle. */
  readonly maxQueueDelayUs: number;
  /** Batch sizes to cut at when the queue holds more than one of them; empty: cut at maxBatchSize. */
  readonly preferredBatchSizes: readonly number[];
  /** Requests queued or running beyond which new ones get RESOURCE_EXHAUSTED. */
  readonly maxQueue: number;
  /** Execution slots (onnxruntime sessions). */
  readonly instances: number;
}

/** Version tags that override the service-wide defaults for one version. */
export const POLICY_TAGS = {
  maxBatchSize: 'inference.max_batch_size',
  maxQueueDelayUs: 'inference.max_queue_delay_us',
  preferredBatchSizes: 'inference.preferred_batch_sizes',
  maxQueue: 'inference.max_queue',
  instances: 'inference.instances',
} as const;

/** True when every input and output has a variable first dimension, which batching concatenates along. */
export function hasBatchDimension(signature: Signature): boolean {
  const all = [...signature.inputs, ...signature.outputs];
  return all.length > 0 && all.every((t) => t.shape.length > 0 && t.shape[0] === -1);
}

/**
 * The policy of one version: the defaults, overridden by its registry tags. A model without a batch
 * dimension runs unbatched whatever the tags say. A malformed tag is refused (FAILED_PRECONDITION at
 * load would hide the typo behind a generic message, so the message names the tag).
 */
export function batchingPolicyFor(
  signature: Signature,
  tags: Readonly<Record<string, string>> | undefined,
  defaults: BatchingPolicy,
): BatchingPolicy {
  const int = (key: string, fallback: number, min: number): number => {
    const raw = tags?.[key];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`version tag ${key}="${raw}" is not an integer >= ${min}`);
    return n;
  };
  const preferredRaw = tags?.[POLICY_TAGS.preferredBatchSizes];
  const preferred = preferredRaw
    ? preferredRaw.split(',').map((s) => {
        const n = Number(s.trim());
        if (!Number.isSafeInteger(n) || n < 1)
          throw new InvalidArgumentError(
            `version tag ${POLICY_TAGS.preferredBatchSizes}="${preferredRaw}" must be comma-separated positive integers`,
          );
        return n;
      })
    : defaults.preferredBatchSizes;
  const maxBatchSize = hasBatchDimension(signature)
    ? int(POLICY_TAGS.maxBatchSize, defaults.maxBatchSize, 1)
    : 1;
  return {
    maxBatchSize,
    maxQueueDelayUs: int(POLICY_TAGS.maxQueueDelayUs, defaults.maxQueueDelayUs, 0),
    preferredBatchSizes: [...preferred].filter((n) => n <= maxBatchSize).sort((a, b) => a - b),
    maxQueue: int(POLICY_TAGS.maxQueue, defaults.maxQueue, 1),
    instances: int(POLICY_TAGS.instances, defaults.instances, 1),
  };
}
