/**
 * The process settings every service runs with, whichever launcher starts it (the test mesh and
 * `scripts/stack` through libs/testing, `scripts/stack add trainer`, the container image).
 *
 * `--max-semi-space-size=16` (MiB, in NODE_OPTIONS): V8 sizes the young generation from the
 * machine's memory (here up to 128 MiB resident). 16 MiB semi-spaces kept inference's plateau under
 * the soak's load at ~430 MiB instead of ~514, with no fewer predictions served (README, Soak).
 *
 * A value the environment already holds wins: an operator can always override it.
 */
export const SERVICE_PROCESS_ENV = {
  NODE_OPTIONS: '--max-semi-space-size=16',
} as const;

/** `base` plus SERVICE_PROCESS_ENV where `base` does not set it already (NODE_OPTIONS is extended, not replaced). */
export function withServiceProcessEnv(
  base: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const options = env.NODE_OPTIONS ?? '';
  if (!/--max-semi-space-size\b/.test(options))
    env.NODE_OPTIONS = [options, SERVICE_PROCESS_ENV.NODE_OPTIONS].filter(Boolean).join(' ');
  return env;
}
