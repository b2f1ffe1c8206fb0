export * from './errors.js';
export { toGrpcStatus, type GrpcStatusError } from './grpc-status.js';
