/**
 * The process settings every service runs with, whichever launcher starts it (the test mesh and
 * `scripts/stack` through libs/testing, `scripts/stack add trainer`, the container image): they
 * bound how much memory a Node service keeps resident under steady load, measured by `npm run soak`
 * (README, Soak).
 *
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own malloc arena, up to 8 per
 *   core; onnxruntime's and libuv's threads each grew one, and memory freed in one arena is not
 *   reused by another. Two arenas kept inference ~60 MiB lower at the same load, and every other
 *   service lower too.
 * - `--max-semi-space-size=16` (MiB, in NODE_OPTIONS): V8 sizes the young generation from the
 *   machine's memory (here up to 128 MiB resident); 16 MiB semi-spaces keep inference another ~80 MiB
 *   lower, with no loss of predictions per second in the soak.
 *
 * A setting the environment already holds wins: an operator can always override either.
 */
export const SERVICE_PROCESS_ENV = {
  MALLOC_ARENA_MAX: '2',
  NODE_OPTIONS: '--max-semi-space-size=16',
} as const;

/** `base` plus SERVICE_PROCESS_ENV, where `base` does not set them already (NODE_OPTIONS is extended, not replaced). */
export function withServiceProcessEnv(
  base: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  env.MALLOC_ARENA_MAX ??= SERVICE_PROCESS_ENV.MALLOC_ARENA_MAX;
  const options = env.NODE_OPTIONS ?? '';
  if (!/--max-semi-space-size\b/.test(options))
    env.NODE_OPTIONS = [options, SERVICE_PROCESS_ENV.NODE_OPTIONS].filter(Boolean).join(' ');
  return env;
}
