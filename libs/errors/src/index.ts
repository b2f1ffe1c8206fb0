export * from './errors.js';
export { toGrpcStatus, type GrpcStatusError } from './grpc-status.js';
export { toWire, fromWire, HIDDEN_ERROR_MESSAGE, MAX_CAUSE_DEPTH, type WireError } from './wire-error.js';
