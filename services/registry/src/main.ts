import { runService } from '@aimass/runtime';

// Artifacts stream through in 4-16 MiB buffers. With V8's own growing factor (about 1.7 for this
// ~55 MB heap) a 256 MiB push plus pull ran ~37 full GCs and ~2.8 CPU-s per direction; at 300% it
// ran ~19 and ~1.8 CPU-s, with the same peak RSS (`npm run bench -- registry` prints the CPU).
await runService('registry', async () => (await import('./app.module.js')).AppModule, { heapGrowingPercent: 300 });
