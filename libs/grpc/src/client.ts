import { credentials, type Client, type ChannelOptions } from '@grpc/grpc-js';
import { clientConstructorOf, type MeshService } from './proto-loading.js';

/**
 * A plaintext gRPC client of a mesh service at host:port (loopback and in-cluster traffic).
 * The receive window is raised from HTTP/2's 64 KiB: with a ~4 MiB artifact chunk per message the
 * sender would otherwise stop every 64 KiB until this side's WINDOW_UPDATE came back.
 */
const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

export function createMeshClient<T = Client>(service: MeshService, address: string, options: ChannelOptions = {}): T {
  const Ctor = clientConstructorOf(service);
  return new Ctor(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
    ...options,
  }) as unknown as T;
}
