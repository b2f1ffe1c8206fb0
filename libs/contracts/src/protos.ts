import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where protos/ lives: the first folder above this module that holds it (the workspace root from src or dist, the app folder in a node bundle). */
export const PROTO_ROOT = findProtoRoot(import.meta.dirname);

function findProtoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'protos', 'inference', 'grpc_service.proto'))) return join(dir, 'protos');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`protos/ not found above ${start}`);
    dir = parent;
  }
}

/** The gRPC services of the mesh: their package, service name and proto file (relative to PROTO_ROOT). */
export const GRPC_SERVICES = {
  registry: {
    package: 'aimass.registry.v1',
    service: 'RegistryService',
    file: 'aimass/registry/v1/registry.proto',
  },
  trainer: {
    package: 'aimass.trainer.v1',
    service: 'TrainerService',
    file: 'aimass/trainer/v1/trainer.proto',
  },
  tuner: { package: 'aimass.tuner.v1', service: 'TunerService', file: 'aimass/tuner/v1/tuner.proto' },
  inference: { package: 'inference', service: 'GRPCInferenceService', file: 'inference/grpc_service.proto' },
  monitor: {
    package: 'aimass.monitor.v1',
    service: 'MonitorService',
    file: 'aimass/monitor/v1/monitor.proto',
  },
} as const;

export const HEALTH_PROTO = {
  package: 'grpc.health.v1',
  service: 'Health',
  file: 'grpc/health/v1/health.proto',
} as const;

/**
 * Bytes per `chunk` message of the artifact streams (registry push and download): large, so
 * per-message work (protobuf, framing) stays small next to the copying (~4 MiB cuts the sender's CPU
 * per GiB by ~40% against 1 MiB), and 64 KiB under gRPC's default 4 MiB message limit, so a peer left
 * at that limit still takes it.
 */
export const STREAM_CHUNK_BYTES = 4 * 1024 * 1024 - 64 * 1024;

/**
 * proto-loader options shared by every server and client, and by the type generator:
 * snake_case field names as in the .proto, int64 as decimal strings (no precision loss),
 * enums as names, defaults filled in.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
