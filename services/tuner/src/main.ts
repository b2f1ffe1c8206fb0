import { runService } from '@aimass/runtime';
import { TUNER_ACCESS } from './auth/access-rules.js';

await runService('tuner', async () => (await import('./app.module.js')).AppModule, {
  accessRules: TUNER_ACCESS,
});
