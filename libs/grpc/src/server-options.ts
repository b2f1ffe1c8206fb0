import { GRPC_SERVICES } from '@aimass/contracts';
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { withBytesStreamSerializers } from './bytes-stream-serializer.js';
import { withTolerantDeserializers } from './malformed-request.js';
import { packageDefinitionOf, type MeshService } from './proto-loading.js';
import { serverCredentials, type TlsFiles } from './tls.js';

/**
 * The gRPC server options of a service, shared by its bootstrap and nothing else. Besides the
 * service's own proto, every server answers grpc.health.v1 and gRPC reflection for both.
 * `health` starts NOT_SERVING; the bootstrap flips it once every transport listens. Server streams
 * of bytes messages (artifact downloads) are encoded without a buffer per message, and a request
 * whose bytes do not decode reaches the guards as a marker (withTolerantDeserializers). With `tls` (AIMASS_TLS_*)
 * it listens with TLS (serverCredentials). `onServer` receives the grpc-js server and the package definition it serves, before Nest adds its handlers.
 */
export function grpcServerOptions(
  service: MeshService,
  url: string,
  maxMessageBytes: number,
  health: HealthImplementation,
  onServer?: (server: Server, definition: PackageDefinition) => void,
  tls?: TlsFiles,
): GrpcOptions {
  const spec = GRPC_SERVICES[service];
  const packageDefinition = withTolerantDeserializers(
    withBytesStreamSerializers(packageDefinitionOf(service)),
  );
  return {
    transport: Transport.GRPC,
    options: {
      url,
      credentials: serverCredentials(tls),
      package: spec.package,
      packageDefinition,
      maxReceiveMessageLength: maxMessageBytes,
      maxSendMessageLength: maxMessageBytes,
      gracefulShutdown: true,
      onLoadPackageDefinition: (_pkg: unknown, server: Server) => {
        health.addToServer(server);
        new ReflectionService(packageDefinition).addToServer(server);
        onServer?.(server, packageDefinition);
      },
    },
  };
}

export function createHealth(service: MeshService): HealthImplementation {
  const spec = GRPC_SERVICES[service];
  return new HealthImplementation({ '': 'NOT_SERVING', [`${spec.package}.${spec.service}`]: 'NOT_SERVING' });
}

export function setServing(health: HealthImplementation, service: MeshService, serving: boolean): void {
  const spec = GRPC_SERVICES[service];
  const status = serving ? 'SERVING' : 'NOT_SERVING';
  health.setStatus('', status);
  health.setStatus(`${spec.package}.${spec.service}`, status);
}

export type { HealthImplementation };
