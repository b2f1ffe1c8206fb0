/**
 * Failures of the real-server harness. Each names the process that failed and, where there is
 * one, the tail of its log, so a red test or a failed `scripts/stack up` says why on its own.
 */
export class HarnessError extends Error {
  override name = 'HarnessError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A required executable (nats-server) is not on PATH. */
export class ExecutableNotFoundError extends HarnessError {
  override name = 'ExecutableNotFoundError';
}

/** A built entry point (a service's dist/main.js, the s3 child) does not exist yet. */
export class NotBuiltError extends HarnessError {
  override name = 'NotBuiltError';
}

/** A process exited, or never became ready, while the harness was waiting for it. */
export class ProcessStartError extends HarnessError {
  override name = 'ProcessStartError';
  constructor(
    readonly processName: string,
    message: string,
    readonly logTail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${processName}: ${message}${logTail ? `\n--- last lines of its log ---\n${logTail}` : ''}`,
      options,
    );
  }
}

/** A gRPC health check did not report SERVING in time. */
export class HealthTimeoutError extends HarnessError {
  override name = 'HealthTimeoutError';
}
