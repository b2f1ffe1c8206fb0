import {
  loadPackageDefinition,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

// The official OIP v2 proto, loaded as any client or minimal server would load it. Every party in
// this benchmark (echo servers, the DIY server, the load generator) uses the same definition, so
// they pay the same (de)serialisation cost as aimass.

const PROTO = join(import.meta.dirname, '..', '..', '..', 'protos', 'inference', 'grpc_service.proto');

export const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function oipService(): { Client: ServiceClientConstructor; definition: ServiceDefinition } {
  const pkg = loadPackageDefinition(loadSync(PROTO, LOADER_OPTIONS)) as GrpcObject;
  const Client = (pkg.inference as GrpcObject).GRPCInferenceService as ServiceClientConstructor;
  return { Client, definition: Client.service };
}

/** Message size limit the servers and clients share (the aimass default). */
export const MAX_MESSAGE = 64 * 1024 * 1024;
