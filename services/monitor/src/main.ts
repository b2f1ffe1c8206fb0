import { runService } from '@aimass/runtime';
import { MONITOR_ACCESS } from './auth/access-rules.js';

await runService('monitor', async () => (await import('./app.module.js')).AppModule, {
  accessRules: MONITOR_ACCESS,
});
