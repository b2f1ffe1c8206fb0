import { OPEN, scopeOn, scopePerMessage, type AccessRules } from '@aimass/auth';

const S = 'inference.GRPCInferenceService';

/**
 * Who may call each OIP v2 method. As KServe clients expect, the token travels as
 * `authorization: Bearer <token>` metadata. Liveness and readiness of the server stay open (load
 * balancers probe them); anything about one model needs `infer` on it, loading and unloading need
 * `models:write`.
 */
export const INFERENCE_ACCESS: AccessRules = {
  [`${S}/ServerLive`]: OPEN,
  [`${S}/ServerReady`]: OPEN,
  [`${S}/ServerMetadata`]: OPEN,
  [`${S}/ModelReady`]: scopeOn('infer', 'name'),
  [`${S}/ModelMetadata`]: scopeOn('infer', 'name'),
  [`${S}/ModelInfer`]: scopeOn('infer', 'model_name'),
  [`${S}/ModelStreamInfer`]: scopePerMessage('infer'),
  [`${S}/ModelStatistics`]: scopeOn('infer', 'name'),
  [`${S}/RepositoryIndex`]: scopeOn('models:read'),
  [`${S}/RepositoryModelLoad`]: scopeOn('models:write', 'model_name'),
  [`${S}/RepositoryModelUnload`]: scopeOn('models:write', 'model_name'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
