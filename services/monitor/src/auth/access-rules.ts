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

const HUB = 'aimass.monitor.console.Hub';

/**
 * The console's HTTP endpoints: the monitor's own methods (acknowledge, silence), and the hub's,
 * which have no gRPC method. Starring a model and posting in its discussion take `models:read` on it
 * (whoever may read a model may talk about it), and so does downloading a version's artifact (the
 * console's other reads show figures, never model bytes); browsing with a token, which shows team
 * and private models to those they are for, takes `models:read` on some model. Browsing without
 * one is open.
 */
export const CONSOLE_ACCESS: AccessRules = {
  ...MONITOR_ACCESS,
  [`${HUB}/Browse`]: scopePerMessage('models:read'),
  [`${HUB}/DownloadVersion`]: scopeOn('models:read', 'model'),
  [`${HUB}/StarModel`]: scopeOn('models:read', 'model'),
  [`${HUB}/PostMessage`]: scopeOn('models:read', 'model'),
};
