import type { InferenceRequest, InferenceResult } from '../types.js';

/**
 * How requests reach a model's instances. On a successful enqueue the scheduler owns the request
 * until the returned promise settles. Implementations: DirectScheduler (one request per execution)
 * and DynamicBatcher (compatible requests share an execution).
 */
export interface Scheduler {
  enqueue(request: InferenceRequest): Promise<InferenceResult>;
  /** Requests accepted and not yet answered. */
  readonly inFlight: number;
  /** Refuses new requests, then resolves once every accepted one is answered. */
  stop(): Promise<void>;
}

/** Thrown by enqueue() once stop() was called: the caller may re-resolve and retry elsewhere. */
export { VersionUnloadingError } from './version-unloading-error.js';
