import { credentials, type Client, type ChannelOptions } from '@grpc/grpc-js';
import { FLOW_CONTROL_WINDOW_BYTES } from './flow-control.js';
import { clientConstructorOf, type MeshService } from './proto-loading.js';

/**
 * A plaintext gRPC client of a mesh service at host:port (loopback and in-cluster traffic), with
 * the mesh's HTTP/2 receive window (see FLOW_CONTROL_WINDOW_BYTES).
 */
export function createMeshClient<T = Client>(
  service: MeshService,
  address: string,
  options: ChannelOptions = {},
): T {
  const Ctor = clientConstructorOf(service);
  return new Ctor(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
    ...options,
  }) as unknown as T;
}
