// The client side alone (`@aimass/grpc/client`): proto loading and mesh clients, without the
// NestJS and telemetry imports the server side needs, so CLIs and tools start fast.
export { packageDefinitionOf, clientConstructorOf, type MeshService } from './proto-loading.js';
export { bearerInterceptor, createMeshClient, peerClient } from './client.js';
export { channelCredentials, serverCredentials, type TlsFiles } from './tls.js';
