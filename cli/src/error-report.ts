import { ConfigError } from '@aimass/config';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { CliError } from './errors.js';

/** What the top level prints on stderr and the exit code it returns. */
export interface ErrorReport {
  readonly lines: readonly string[];
  readonly exitCode: number;
}

export function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    'details' in err &&
    'metadata' in err
  );
}

/**
 * gRPC failures print `error: <STATUS_NAME>: <details>`; other expected failures print their message.
 * Only an error nobody anticipated (a bug) shows its stack.
 */
export function reportError(err: unknown): ErrorReport {
  if (isServiceError(err)) {
    const name = GrpcStatus[err.code] ?? `STATUS_${err.code}`;
    const lines = [`error: ${name}: ${err.details.trim()}`];
    if (err.code === GrpcStatus.UNAVAILABLE) {
      lines.push(
        'hint: is the mesh up? Start it with `scripts/stack up`, or pass --registry / --inference host:port',
      );
    }
    return { lines, exitCode: 1 };
  }
  if (err instanceof CliError || err instanceof ConfigError)
    return { lines: [`error: ${err.message}`], exitCode: 1 };
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { lines: [`error: unexpected failure (a bug in aimass): ${detail}`], exitCode: 1 };
}
