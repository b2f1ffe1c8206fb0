import { OPEN, scopeOn, scopePerMessage, type AccessRules } from '@aimass/auth';

const S = 'aimass.registry.v1.RegistryService';

/**
 * Who may call each registry method. Models are named by `name` (model calls) or `model` (version
 * and alias calls). A streamed push names its model or dataset in its first message, so the guard
 * checks the scope on some model and the push checks it on the named one (requireGrant). Datasets
 * share the model scopes, matched against the dataset's name.
 */
export const REGISTRY_ACCESS: AccessRules = {
  [`${S}/CreateModel`]: scopeOn('models:write', 'name'),
  [`${S}/UpdateModel`]: scopeOn('models:write', 'name'),
  [`${S}/GetModel`]: scopeOn('models:read', 'name'),
  [`${S}/ListModels`]: scopeOn('models:read'),
  [`${S}/PushVersion`]: scopePerMessage('models:write'),
  [`${S}/GetVersion`]: scopeOn('models:read', 'model'),
  [`${S}/ListVersions`]: scopeOn('models:read', 'model'),
  [`${S}/DownloadVersion`]: scopeOn('models:read', 'model'),
  [`${S}/SetVersionState`]: scopeOn('models:write', 'model'),
  [`${S}/SetReferenceStatistics`]: scopeOn('models:write', 'model'),
  [`${S}/GetReferenceStatistics`]: scopeOn('models:read', 'model'),
  [`${S}/SetAlias`]: scopeOn('aliases:write', 'model'),
  [`${S}/DeleteAlias`]: scopeOn('aliases:write', 'model'),
  [`${S}/ListAliasHistory`]: scopeOn('models:read', 'model'),
  [`${S}/PushDataset`]: scopePerMessage('models:write'),
  [`${S}/GetDataset`]: scopeOn('models:read', 'name'),
  [`${S}/ListDatasets`]: scopeOn('models:read'),
  [`${S}/ConvertModelVersion`]: scopeOn('models:write', 'model'),
  [`${S}/VerifyModelCard`]: scopeOn('models:write', 'model'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
