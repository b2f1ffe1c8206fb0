/** Injection tokens of what RuntimeModule provides to every service. */
export const AIMASS_CONFIG = Symbol('AIMASS_CONFIG');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
