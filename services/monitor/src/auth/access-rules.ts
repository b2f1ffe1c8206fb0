import { OPEN, scopeOn, scopePerMessage, type AccessRules } from '@aimass/auth';

const S = 'aimass.monitor.v1.MonitorService';

/**
 * Who may call each monitor method: what it shows about a model is `models:read` on that model;
 * acknowledging its alerts and silencing them is `models:write` on it (an acknowledgement names only
 * the alert, so the handler checks the alert's model: requireGrant).
 */
export const MONITOR_ACCESS: AccessRules = {
  [`${S}/GetModelStats`]: scopeOn('models:read', 'model'),
  [`${S}/ListAlerts`]: scopeOn('models:read', 'model'),
  [`${S}/AcknowledgeAlert`]: scopePerMessage('models:write'),
  [`${S}/SilenceAlerts`]: scopeOn('models:write', 'model'),
  [`${S}/ListSilences`]: scopeOn('models:read', 'model'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
