import { GRPC_SERVICES } from '@aimass/contracts';
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { ServerGrpc, type CustomStrategy, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { withBytesStreamSerializers } from './bytes-stream-serializer.js';
import { withTolerantDeserializers } from './malformed-request.js';
import { packageDefinitionOf, type MeshService } from './proto-loading.js';
import { serverCredentials, type TlsFiles } from './tls.js';

/**
 * Nest's gRPC server, except that the port is bound last. Nest binds in `createClient()`, before
 * `bindEvents()` adds the services, and grpc-js serves as soon as a port is bound, so a call that
 * reached a starting (or restarted) service in between got UNIMPLEMENTED, which clients take as
 * final. Here the port opens only once every service is added and `beforeServing` ran (inference
 * puts its own ModelInfer handler in place there).
 */
class BindLastGrpcServer extends ServerGrpc {
  constructor(
    private readonly grpcOptions: GrpcServerSettings,
    private readonly beforeServing: (server: Server) => Promise<void>,
  ) {
    super(grpcOptions);
  }

  override async createClient(): Promise<Server> {
    return new Server({
      'grpc.max_receive_message_length': this.grpcOptions.maxReceiveMessageLength,
      'grpc.max_send_message_length': this.grpcOptions.maxSendMessageLength,
    });
  }

  override async start(callback?: () => void): Promise<void> {
    await this.bindEvents();
    const server = this.grpcClient as Server;
    await this.beforeServing(server);
    await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.url, this.grpcOptions.credentials, (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    callback?.();
  }
}

type GrpcServerSettings = NonNullable<GrpcOptions['options']> & {
  readonly credentials: ServerCredentials;
  readonly maxReceiveMessageLength: number;
  readonly maxSendMessageLength: number;
};

/**
 * The gRPC server of a service, as a Nest transport, shared by its bootstrap and nothing else.
 * Besides the service's own proto, every server answers grpc.health.v1 and gRPC reflection for
 * both. `health` starts NOT_SERVING; the bootstrap flips it once every transport listens. Server
 * streams of bytes messages (artifact downloads) are encoded without a buffer per message, and a
 * request whose bytes do not decode reaches the guards as a marker (withTolerantDeserializers).
 * With `tls` (AIMASS_TLS_*) it listens with TLS (serverCredentials). `beforeServing` gets the
 * grpc-js server and the package definition once Nest added its handlers, before the port opens.
 */
export function grpcServerTransport(
  service: MeshService,
  url: string,
  maxMessageBytes: number,
  health: HealthImplementation,
  tls?: TlsFiles,
  beforeServing?: (server: Server, definition: PackageDefinition) => Promise<void>,
): CustomStrategy {
  const spec = GRPC_SERVICES[service];
  const packageDefinition = withTolerantDeserializers(
    withBytesStreamSerializers(packageDefinitionOf(service)),
  );
  const settings: GrpcServerSettings = {
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
    },
  };
  return {
    strategy: new BindLastGrpcServer(settings, async (server) => {
      await beforeServing?.(server, packageDefinition);
    }),
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
