import { OPEN, scopeOn, type AccessRules } from '@aimass/auth';

const S = 'aimass.monitor.v1.MonitorService';

/** Who may call each monitor method: what it shows about a model is `models:read` on that model. */
export const MONITOR_ACCESS: AccessRules = {
  [`${S}/GetModelStats`]: scopeOn('models:read', 'model'),
  [`${S}/ListAlerts`]: scopeOn('models:read', 'model'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
