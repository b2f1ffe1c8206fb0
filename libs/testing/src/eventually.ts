/** What `eventually` takes besides the probe. */
export interface EventuallyOptions {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Default 200 ms. */
  readonly intervalMs?: number;
  /** Appended to the timeout error (a log tail, the state seen last). */
  readonly context?: () => string;
}

/**
 * Runs `probe` until it returns a value other than undefined or false, and returns that value. A
 * probe that throws counts as not yet; past the timeout the error names `what` and the last error.
 * The one polling helper of the e2e tests: for a process becoming ready, see waitUntilReady.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const last = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      const context = options.context ? `\n${options.context()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}${context}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
