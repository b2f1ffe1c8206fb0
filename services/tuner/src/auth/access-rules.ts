import { OPEN, scopeOn, type AccessRules } from '@aimass/auth';

const S = 'aimass.tuner.v1.TunerService';

/** Who may call each tuner method: studies are the `tune` scope. */
export const TUNER_ACCESS: AccessRules = {
  [`${S}/GetStatus`]: scopeOn('tune'),
  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
