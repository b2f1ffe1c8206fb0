import {
  InterceptingCall,
  type ChannelCredentials,
  type Client,
  type ChannelOptions,
  type Interceptor,
} from '@grpc/grpc-js';
import { channelCredentials, type TlsFiles } from './tls.js';
import { FLOW_CONTROL_WINDOW_BYTES } from './flow-control.js';
import { clientConstructorOf, type MeshService } from './proto-loading.js';

/**
 * Adds `authorization: Bearer <token>` to every call, as OIP v2 / KServe clients send it. (grpc-js
 * call credentials need a TLS channel; metadata works on any.)
 */
export function bearerInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', value);
        next(metadata, listener);
      },
    });
}

/**
 * A gRPC client of a mesh service at host:port, with the mesh's HTTP/2 receive window (see
 * FLOW_CONTROL_WINDOW_BYTES): plaintext, or TLS with `channel` (channelCredentials). With a
 * `token`, every call carries it as a bearer token.
 */
export function createMeshClient<T = Client>(
  service: MeshService,
  address: string,
  options: ChannelOptions = {},
  token?: string,
  channel: ChannelCredentials = channelCredentials(undefined),
): T {
  const Ctor = clientConstructorOf(service);
  return new Ctor(address, channel, {
    ...(token ? { interceptors: [bearerInterceptor(token)] } : {}),
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
    ...options,
  }) as unknown as T;
}

/** How one service calls another: the address, token and TLS of its own configuration. */
export function peerClient<T = Client>(
  service: MeshService,
  config: {
    readonly grpc: Readonly<Record<MeshService, string>>;
    readonly auth: { readonly token: string };
    readonly tls: TlsFiles;
  },
): T {
  return createMeshClient<T>(
    service,
    config.grpc[service],
    {},
    config.auth.token || undefined,
    channelCredentials(config.tls),
  );
}
