import { AimassError, errorClassOf, InternalError } from './errors.js';

/**
 * A typed error as it crosses a process boundary (a NATS reply): its kind, its message and the
 * chain of its causes, outermost first. An untyped error's text may hold internals (a connection
 * string, a path), so it travels as INTERNAL with a fixed message and no cause.
 */
export interface WireError {
  readonly kind: string;
  readonly message: string;
  readonly cause?: WireError;
}

/** The message an untyped error is replaced by; the responder logs the real one. */
export const HIDDEN_ERROR_MESSAGE = 'internal error in the remote service; see its log';

/** Causes beyond this depth are dropped, so a cyclic or runaway chain still encodes. */
export const MAX_CAUSE_DEPTH = 8;

export function toWire(err: unknown, depth = 0): WireError {
  if (!(err instanceof AimassError)) return { kind: 'INTERNAL', message: HIDDEN_ERROR_MESSAGE };
  const wire: WireError = { kind: err.kind, message: err.message };
  if (err.cause === undefined || depth + 1 >= MAX_CAUSE_DEPTH) return wire;
  return { ...wire, cause: toWire(err.cause, depth + 1) };
}

/**
 * Rebuilds the typed error a peer sent, causes included. Whatever does not look like a WireError
 * (an unknown kind, a missing message) becomes an InternalError rather than a crash.
 */
export function fromWire(wire: unknown, depth = 0): AimassError {
  if (typeof wire !== 'object' || wire === null) return new InternalError(HIDDEN_ERROR_MESSAGE);
  const { kind, message, cause } = wire as Partial<Record<keyof WireError, unknown>>;
  const ErrorClass = errorClassOf(kind);
  const text = typeof message === 'string' ? message : HIDDEN_ERROR_MESSAGE;
  if (cause === undefined || cause === null || depth + 1 >= MAX_CAUSE_DEPTH) return new ErrorClass(text);
  return new ErrorClass(text, { cause: fromWire(cause, depth + 1) });
}
