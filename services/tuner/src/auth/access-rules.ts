import { OPEN, scopeOn, type AccessRules } from '@aimass/auth';

const S = 'aimass.tuner.v1.TunerService';

/** Who may call each tuner method: studies and their trials are the `tune` scope. */
export const TUNER_ACCESS: AccessRules = {
  [`${S}/GetStatus`]: scopeOn('tune'),
  [`${S}/CreateStudy`]: scopeOn('tune'),
  [`${S}/GetStudy`]: scopeOn('tune'),
  [`${S}/ListStudies`]: scopeOn('tune'),
  [`${S}/Ask`]: scopeOn('tune'),
  [`${S}/Report`]: scopeOn('tune'),
  [`${S}/Tell`]: scopeOn('tune'),
  [`${S}/GetImportance`]: scopeOn('tune'),
  [`${S}/StopStudy`]: scopeOn('tune'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
