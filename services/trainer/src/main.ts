import { runService } from '@aimass/runtime';

await runService('trainer', async () => (await import('./app.module.js')).AppModule);
