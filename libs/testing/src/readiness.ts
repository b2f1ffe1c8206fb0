import { describeExit, type SupervisedChild } from './child-process.js';
import { ProcessStartError } from './errors.js';

export interface ReadinessOptions {
  /** What "ready" means, for the error message ("answering HTTP"). */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /**
   * A line our child prints only once it listens. Probing waits for it, so a server already on the
   * port (ours failing to bind) is not mistaken for ours.
   */
  readonly readyLine?: RegExp;
}

/**
 * Runs `probe` until it resolves. Fails fast when the child exits first, and kills the child when
 * it is not ready in time: on failure nothing is left running, and the error carries the log tail.
 */
export async function waitUntilReady(
  child: SupervisedChild,
  probe: () => Promise<void>,
  options: ReadinessOptions,
): Promise<void> {
  const { readyLine } = options;
  let listening = readyLine === undefined || readyLine.test(child.logTail(Number.MAX_SAFE_INTEGER));
  const unsubscribe = child.onLine((line) => {
    if (readyLine?.test(line)) listening = true;
  });
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  try {
    for (;;) {
      if (!child.running) {
        const status = await child.exited;
        throw new ProcessStartError(
          child.name,
          `exited ${describeExit(status)} before ${options.what}`,
          child.logTail(),
          {
            cause: lastError,
          },
        );
      }
      if (listening) {
        try {
          await probe();
          if (child.running) return;
          continue;
        } catch (err) {
          lastError = err;
        }
      }
      if (Date.now() > deadline) {
        await child.kill9();
        const last = lastError instanceof Error ? ` (last attempt: ${lastError.message})` : '';
        throw new ProcessStartError(
          child.name,
          `not ${options.what} after ${options.timeoutMs} ms${last}`,
          child.logTail(),
          {
            cause: lastError,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
    }
  } finally {
    unsubscribe();
  }
}
