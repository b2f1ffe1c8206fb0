import type { InferenceRequest, InferenceResult } from '../types.js';

/**
 * How requests reach a model's instances. On a successful enqueue the scheduler owns the request
 * until the returned promise settles. Implementations: DirectScheduler (one request per execution);
 * the dynamic batcher joins them later behind this same interface.
 */
export interface Scheduler {
  enqueue(request: InferenceRequest): Promise<InferenceResult>;
  /** Requests accepted and not yet answered. */
  readonly inFlight: number;
  /** Refuses new requests, then resolves once every accepted one is answered. */
  stop(): Promise<void>;
}
