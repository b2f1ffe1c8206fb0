/**
 * The services of the mesh, in the order a mesh starts them (registry first: the others call it).
 * Each row names the settings that hold its gRPC address and HTTP base URL, and their default
 * ports. The settings table, the test mesh launcher (libs/testing) and the checks of deploy/ all
 * derive from this one table.
 */
export const SERVICES = [
  {
    name: 'registry',
    grpc: { key: 'AIMASS_REGISTRY_GRPC', port: 50051, about: 'Registry gRPC address (listen and dial).' },
    http: { key: 'AIMASS_REGISTRY_HTTP', port: 8091, about: 'Registry HTTP base URL (/metrics, /healthz).' },
  },
  {
    name: 'trainer',
    grpc: { key: 'AIMASS_TRAINER_GRPC', port: 50052, about: 'Trainer gRPC address.' },
    http: { key: 'AIMASS_TRAINER_HTTP', port: 8092, about: 'Trainer HTTP base URL (/metrics, /healthz).' },
  },
  {
    name: 'tuner',
    grpc: { key: 'AIMASS_TUNER_GRPC', port: 50053, about: 'Tuner gRPC address.' },
    http: { key: 'AIMASS_TUNER_HTTP', port: 8093, about: 'Tuner HTTP base URL (/metrics, /healthz).' },
  },
  {
    name: 'inference',
    grpc: { key: 'AIMASS_INFERENCE_GRPC', port: 8001, about: 'Inference gRPC address (OIP v2).' },
    http: {
      key: 'AIMASS_INFERENCE_METRICS_HTTP',
      port: 8002,
      about: 'Inference HTTP base URL (Prometheus /metrics, /healthz).',
    },
  },
  {
    name: 'monitor',
    grpc: { key: 'AIMASS_MONITOR_GRPC', port: 50055, about: 'Monitor gRPC address.' },
    http: {
      key: 'AIMASS_MONITOR_HTTP',
      port: 8090,
      about: 'Monitor HTTP base URL (dashboard JSON at /api/models, /metrics).',
    },
  },
] as const;

export type ServiceSpec = (typeof SERVICES)[number];
export type ServiceName = ServiceSpec['name'];
export type ServiceGrpcKey = ServiceSpec['grpc']['key'];
export type ServiceHttpKey = ServiceSpec['http']['key'];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);

/** The row of one service; throws for a name that is not in the table. */
export function serviceSpec(name: string): ServiceSpec {
  const spec = SERVICES.find((s) => s.name === name);
  if (!spec) throw new Error(`"${name}" is not a service of the mesh (${SERVICE_NAMES.join(', ')})`);
  return spec;
}

/** The default gRPC address of a service on this host, e.g. 127.0.0.1:50051. */
export const defaultGrpcAddress = (spec: ServiceSpec): string => `127.0.0.1:${spec.grpc.port}`;
/** The default HTTP base URL of a service on this host, e.g. http://127.0.0.1:8091. */
export const defaultHttpUrl = (spec: ServiceSpec): string => `http://127.0.0.1:${spec.http.port}`;
