export { packageDefinitionOf, clientConstructorOf, type MeshService } from './proto-loading.js';
export {
  grpcServerTransport,
  createHealth,
  setServing,
  type HealthImplementation,
} from './server-options.js';
export { MeshExceptionFilter } from './exception-filter.js';
export { traceContextOf, deadlineOf } from './metadata.js';
export { bearerInterceptor, createMeshClient, peerClient } from './client.js';
export { channelCredentials, serverCredentials, type TlsFiles } from './tls.js';
export { replyUnary } from './unary-reply.js';
export { FLOW_CONTROL_WINDOW_BYTES, raiseServerReceiveWindow } from './flow-control.js';
export type { Server as GrpcServer } from '@grpc/grpc-js';
export type { PackageDefinition } from '@grpc/proto-loader';
export { withTolerantDeserializers, assertWellFormed } from './malformed-request.js';
