import { GRPC_SERVICES, HEALTH_PROTO, PROTO_LOADER_OPTIONS } from '@aimass/contracts';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

export type MeshService = keyof typeof GRPC_SERVICES;

const cache = new Map<string, PackageDefinition>();

/** Loads a service's .proto (plus grpc.health.v1) once per process, with the shared loader options. */
export function packageDefinitionOf(service: MeshService): PackageDefinition {
  let def = cache.get(service);
  if (!def) {
    def = loadSync([GRPC_SERVICES[service].file, HEALTH_PROTO.file], PROTO_LOADER_OPTIONS);
    cache.set(service, def);
  }
  return def;
}

/** The generated client constructor of a mesh service (used by the CLI, tests and peers). */
export function clientConstructorOf(service: MeshService): ServiceClientConstructor {
  const spec = GRPC_SERVICES[service];
  let node: GrpcObject | ServiceClientConstructor = loadPackageDefinition(packageDefinitionOf(service));
  for (const part of `${spec.package}.${spec.service}`.split('.')) {
    node = (node as GrpcObject)[part] as GrpcObject | ServiceClientConstructor;
  }
  return node as ServiceClientConstructor;
}
