/**
 * The NATS layout. Every subject starts with `aimass.`.
 *   aimass.events.<type>          lifecycle events (stream AIMASS_EVENTS)
 *   aimass.jobs.train.<pool>      training jobs (work-queue stream AIMASS_JOBS)
 *   aimass.audit.<service>        audit records (stream AIMASS_AUDIT)
 *   aimass.predictions.<service>  batched prediction summaries (stream AIMASS_PREDICTIONS)
 *   aimass.rpc.<service>.<method> request/reply between services (core NATS, not stored)
 */
export const subjects = {
  event: (type: string) => `aimass.events.${type}`,
  allEvents: 'aimass.events.>',
  trainJob: (pool: string) => `aimass.jobs.train.${pool}`,
  allJobs: 'aimass.jobs.>',
  audit: (service: string) => `aimass.audit.${service}`,
  allAudit: 'aimass.audit.>',
  predictions: (service: string) => `aimass.predictions.${service}`,
  allPredictions: 'aimass.predictions.>',
  rpc: (service: string, method: string) => `aimass.rpc.${service}.${method}`,
  /** Node liveness beats (core NATS, not stored): aimass.heartbeats.<service>.<node>. */
  heartbeat: (service: string, node: string) => `aimass.heartbeats.${service}.${node}`,
} as const;
