import { OPEN, scopeOn, type AccessRules } from '@aimass/auth';

const S = 'aimass.tuner.v1.TunerService';

/**
 * Who may call each tuner method: creating, driving and stopping studies is the `tune` scope;
 * reading them is `studies:read`, which `tune` includes (the monitor's console only reads).
 */
export const TUNER_ACCESS: AccessRules = {
  [`${S}/GetStatus`]: scopeOn('studies:read'),
  [`${S}/CreateStudy`]: scopeOn('tune'),
  [`${S}/GetStudy`]: scopeOn('studies:read'),
  [`${S}/ListStudies`]: scopeOn('studies:read'),
  [`${S}/Ask`]: scopeOn('tune'),
  [`${S}/Report`]: scopeOn('tune'),
  [`${S}/Tell`]: scopeOn('tune'),
  [`${S}/GetImportance`]: scopeOn('studies:read'),
  [`${S}/StopStudy`]: scopeOn('tune'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
