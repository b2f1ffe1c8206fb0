import {
  errorFromKind,
  InternalError,
  isAimassError,
  UnavailableError,
  DeadlineExceededError,
} from '@aimass/errors';
import { currentTraceparent } from '@aimass/telemetry';
import { headers, type NatsConnection } from '@nats-io/nats-core';

/** The reply of a request/reply call between services: a result, or a typed error by kind. */
export type RpcReply<T> = { ok: true; result: T } | { ok: false; error: { kind: string; message: string } };

export function encodeRpcReply(result: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ ok: true, result } satisfies RpcReply<unknown>));
}

export function encodeRpcError(err: unknown): Uint8Array {
  const error = isAimassError(err)
    ? { kind: err.kind, message: err.message }
    : { kind: 'INTERNAL', message: 'internal error in the remote service; see its log' };
  return Buffer.from(JSON.stringify({ ok: false, error } satisfies RpcReply<never>));
}

/**
 * Calls another service over NATS request/reply (`aimass.rpc.<service>.<method>`). Remote typed
 * errors are rebuilt locally, so a NOT_FOUND in the registry stays a NOT_FOUND for the caller.
 */
export class NatsRpcClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {}

  async request<T>(subject: string, payload: unknown): Promise<T> {
    const h = headers();
    const traceparent = currentTraceparent();
    if (traceparent) h.set('traceparent', traceparent);
    let reply;
    try {
      reply = await this.nc.request(subject, JSON.stringify(payload), {
        timeout: this.timeoutMs,
        headers: h,
      });
    } catch (cause) {
      const message = String(cause);
      if (/timeout/i.test(message))
        throw new DeadlineExceededError(`${subject} did not answer within ${this.timeoutMs} ms`, { cause });
      throw new UnavailableError(`${subject} is not reachable (${message})`, { cause });
    }
    let decoded: RpcReply<T>;
    try {
      decoded = reply.json<RpcReply<T>>();
    } catch (cause) {
      throw new InternalError(`${subject} answered with something that is not JSON`, { cause });
    }
    if (decoded.ok) return decoded.result;
    throw errorFromKind(decoded.error.kind, decoded.error.message);
  }
}
