import { runService } from '@aimass/runtime';
import { REGISTRY_ACCESS } from './auth/access-rules.js';

// Artifacts stream through the registry in 64 KiB-16 MiB Buffers, most of them garbage at once.
// By default V8 runs a full GC per 64 MiB of new Buffers, whatever the heap's growing factor.
// Counting Buffers against the heap limit, at a 100% growing factor, leaves them to the minor GCs:
// less CPU per push and pull, for memory that grows with the transfers in flight, since the limit
// is twice what is live after a GC. `npm run bench -- registry` prints the CPU of each process.
await runService('registry', async () => (await import('./app.module.js')).AppModule, {
  accessRules: REGISTRY_ACCESS,
  heapGrowingPercent: 100,
  externalMemoryInGlobalLimit: true,
});
