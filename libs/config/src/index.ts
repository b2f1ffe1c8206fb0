export { SETTINGS, type SettingSpec, type SettingKey } from './settings.js';
export {
  loadConfig,
  ConfigError,
  grpcKey,
  httpKey,
  type AimassConfig,
  type MeshTls,
  type TrainerBackendSetting,
} from './config.js';
export { EnvFileError, formatEnvFile, parseEnvFile, readEnvFile } from './env-file.js';
export {
  SERVICES,
  SERVICE_NAMES,
  serviceSpec,
  defaultGrpcAddress,
  defaultHttpUrl,
  type ServiceSpec,
  type ServiceName,
  type ServiceGrpcKey,
  type ServiceHttpKey,
} from './services.js';
export { SERVICE_PROCESS_ENV, withServiceProcessEnv } from './process-env.js';
