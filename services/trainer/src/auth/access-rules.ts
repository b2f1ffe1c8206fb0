import { OPEN, scopeOn, type AccessRules } from '@aimass/auth';

const S = 'aimass.trainer.v1.TrainerService';

/** The model a submitted spec registers; an unnamed one matches only a `train` grant on every model. */
function specModel(request: unknown): string {
  try {
    const name = (
      JSON.parse((request as { spec_json?: string }).spec_json ?? '{}') as { model_name?: unknown }
    ).model_name;
    return typeof name === 'string' && name.length > 0 ? name : '(unnamed)';
  } catch {
    return '(unnamed)';
  }
}

/** Who may call each trainer method: everything about jobs is the `train` scope. */
export const TRAINER_ACCESS: AccessRules = {
  [`${S}/SubmitJob`]: { scope: 'train', model: specModel },
  [`${S}/GetJob`]: scopeOn('train'),
  [`${S}/ListJobs`]: scopeOn('train'),
  [`${S}/CancelJob`]: scopeOn('train'),
  [`${S}/StreamProgress`]: scopeOn('train'),
  [`${S}/GetNode`]: scopeOn('train'),

  'grpc.health.v1.Health/Check': OPEN,
  'grpc.health.v1.Health/Watch': OPEN,
};
