import { runService } from '@aimass/runtime';

await runService('tuner', async () => (await import('./app.module.js')).AppModule);
