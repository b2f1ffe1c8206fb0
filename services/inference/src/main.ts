import { runService } from '@aimass/runtime';

await runService('inference', async () => (await import('./app.module.js')).AppModule);
