import { runService } from '@aimass/runtime';
import { TRAINER_ACCESS } from './auth/access-rules.js';

await runService('trainer', async () => (await import('./app.module.js')).AppModule, {
  accessRules: TRAINER_ACCESS,
});
