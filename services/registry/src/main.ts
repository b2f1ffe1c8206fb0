import { runService } from '@aimass/runtime';

await runService('registry', async () => (await import('./app.module.js')).AppModule);
