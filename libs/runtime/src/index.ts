export { RuntimeModule, serviceHealth, type RuntimeOptions } from './runtime.module.js';
export { runService, type RunServiceOptions } from './run-service.js';
export { ServiceHealth } from './service-health.js';
export { AIMASS_CONFIG, NATS_CONNECTION, SERVICE_NAME, METRICS_REGISTRY } from './tokens.js';
export {
  GrpcAuthGuard,
  serviceAuthorization,
  attachPrincipal,
  principalOf,
  requireGrant,
  ACTOR_METADATA,
} from './grpc-auth.guard.js';
