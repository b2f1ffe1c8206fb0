/**
 * Failures the CLI expects and explains in one line (bad local input, unreadable files, a broken
 * stack.env). The top level prints their message without a stack trace and exits 1.
 */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A file named on the command line is missing, unreadable or not in the documented format. */
export class InputFileError extends CliError {
  override name = 'InputFileError';
}

/** `cannot read WHAT: REASON`, the reason 'no such file' when it does not exist. */
export function unreadable(what: string, err: unknown): InputFileError {
  const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
  return new InputFileError(`cannot read ${what}: ${reason}`, { cause: err });
}

/** `.aimass/stack.env` (or the file AIMASS_STACK_ENV names) is missing or not KEY=VALUE lines. */
export class StackEnvError extends CliError {
  override name = 'StackEnvError';
}
