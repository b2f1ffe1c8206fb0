export {
  PROTO_ROOT,
  GRPC_SERVICES,
  HEALTH_PROTO,
  PROTO_LOADER_OPTIONS,
  STREAM_CHUNK_BYTES,
} from './protos.js';
export { subjects } from './subjects.js';
export { STREAMS, KV_BUCKETS, trainerPoolConsumer, type StreamSpec } from './streams.js';
export {
  EVENT_SCHEMAS,
  LATENCY_BUCKETS_MS,
  PredictionWindowSchema,
  FeatureSketchSchema,
  SignatureSchema,
  type EventType,
  type EventData,
  type PredictionWindow,
  type AnomalyCounts,
  type Signature,
} from './events.js';
export {
  makeEnvelope,
  parseEnvelope,
  encodeEnvelope,
  EnvelopeError,
  EnvelopeSchema,
  type Envelope,
} from './envelope.js';
export type * as oip from './generated/oip-types.js';
export type * as registryv1 from './generated/registry-types.js';
export type * as monitorv1 from './generated/monitor-types.js';
export type * as trainerv1 from './generated/trainer-types.js';
export type * as tunerv1 from './generated/tuner-types.js';
export type * as healthv1 from './generated/health-types.js';
export { parseInput } from './validate.js';
export {
  RPC,
  RpcReplySchema,
  WireErrorSchema,
  VersionViewSchema,
  rpcMethod,
  type RpcMethod,
  type RpcReply,
  type RpcRequest,
  type RpcParsedRequest,
  type RpcResult,
  type RpcReplyOf,
} from './rpc.js';
export {
  METRICS,
  DEFAULT_METRICS,
  metricProblem,
  type FamilyName,
  type MetricDefinition,
  type MetricName,
} from './training/training-metrics.js';
export {
  BUILTIN_DATASET_CATALOGUE,
  type BuiltinDatasetInfo,
  type BuiltinDatasetName,
} from './training/builtin-catalogue.js';
export {
  FAMILIES,
  JobSpecSchema,
  DatasetSchema,
  validateSpec,
  knownFeatureCount,
  datasetHasLabels,
  type Family,
  type JobSpec,
  type DatasetSpec,
} from './training/job-spec.js';
export { DETECTOR_TAG, detectorTagOf, parseDetectorTag, type DetectorRef } from './detector-tag.js';
export {
  NATS_PERMISSIONS,
  NATS_USERS,
  natsInboxPrefix,
  type NatsPermissions,
  type NatsUser,
} from './nats-permissions.js';
export { ARTIFACT_FORMATS, type ArtifactFormat, isTarFormat } from './artifact-formats.js';
