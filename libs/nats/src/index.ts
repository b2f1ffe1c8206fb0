export { connectNats, type NatsConnection } from './connection.js';
export { provisionStreams, openKv } from './provisioning.js';
export { EventBus, type PreparedEvent } from './event-bus.js';
export { readEvents, type EventHistoryOptions } from './event-history.js';
export { NatsRpcClient, RpcEndpoint, type RpcEndpointExtras } from './rpc.js';
export {
  NatsMeshTransport,
  MESH_TRANSPORT,
  coveredBy,
  type EventConsumerExtras,
  type MeshTransportOptions,
} from './mesh-transport.js';
