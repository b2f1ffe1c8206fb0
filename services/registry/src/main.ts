import { runService } from '@aimass/runtime';

// Artifacts stream through the registry in 64 KiB-16 MiB Buffers, most of them garbage at once.
// With V8's defaults a 256 MiB push plus pull ran about 37 full GCs. Raising the growing factor to
// 300% alone halved that, but V8 still ran a full GC per 64 MiB of new Buffers (11-13 per push and
// pull). Counting Buffers against the heap limit at a 100% growing factor leaves 3-4, and cut the
// registry's CPU per push from 1.3-1.5 to 0.9 CPU-s and per pull from 1.0-1.2 to 0.5-0.7 (`npm run
// bench -- registry` prints the CPU of each process). The price is memory, and it grows with the
// transfers in flight, since the limit is twice what is live after a GC: peak RSS 540-600 MB instead
// of 400-440 for one 256 MiB transfer at a time; 0.64 GB instead of 0.51 with 4 concurrent 64 MiB
// pushes then pulls, and 1.2 GB instead of 0.68 with 8.
await runService('registry', async () => (await import('./app.module.js')).AppModule, {
  heapGrowingPercent: 100,
  externalMemoryInGlobalLimit: true,
});
