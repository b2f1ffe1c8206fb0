export { SETTINGS, type SettingSpec, type SettingKey } from './settings.js';
export {
  loadConfig,
  ConfigError,
  grpcKey,
  httpKey,
  SERVICE_NAMES,
  type AimassConfig,
  type ServiceName,
  type TrainerBackendSetting,
} from './config.js';
export { EnvFileError, formatEnvFile, parseEnvFile, readEnvFile } from './env-file.js';
