import { runService } from '@aimass/runtime';

await runService('monitor', async () => (await import('./app.module.js')).AppModule);
