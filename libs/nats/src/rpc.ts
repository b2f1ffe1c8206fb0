import {
  RpcReplySchema,
  parseInput,
  type RpcMethod,
  type RpcReply,
  type RpcReplyOf,
  type RpcRequest,
} from '@aimass/contracts';
import { fromWire, toWire, InternalError, UnavailableError, DeadlineExceededError } from '@aimass/errors';
import { currentTraceparent } from '@aimass/telemetry';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { MessagePattern } from '@nestjs/microservices';

/** Where `@RpcEndpoint` puts the method in a handler's extras, for the mesh transport to find. */
export interface RpcEndpointExtras {
  readonly rpc: RpcMethod;
}

/**
 * Serves one request/reply method of `RPC` (libs/contracts): the mesh transport parses each request
 * with the method's schema before the handler sees it.
 */
export function RpcEndpoint(method: RpcMethod): MethodDecorator {
  return MessagePattern(method.subject, { rpc: method } satisfies RpcEndpointExtras);
}

export function encodeRpcReply(result: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ ok: true, result } satisfies RpcReply));
}

/** A typed error keeps its kind, message and causes; an untyped one is hidden (see toWire). */
export function encodeRpcError(err: unknown): Uint8Array {
  return Buffer.from(JSON.stringify({ ok: false, error: toWire(err) } satisfies RpcReply));
}

/**
 * Calls another service over NATS request/reply (`aimass.rpc.<service>.<method>`). The request is
 * checked against the method's schema before it leaves and the result after it arrives. Remote
 * typed errors are rebuilt locally with their causes, so a NOT_FOUND in the registry stays a
 * NOT_FOUND for the caller.
 */
export class NatsRpcClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {}

  async call<M extends RpcMethod>(method: M, request: RpcRequest<M>): Promise<RpcReplyOf<M>> {
    const { subject } = method;
    const payload = parseInput(method.request, request, `${subject} request`);
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
    let body: unknown;
    try {
      body = reply.json();
    } catch (cause) {
      throw new InternalError(`${subject} answered with something that is not JSON`, { cause });
    }
    const decoded = invalidReplyAsInternal(() => parseInput(RpcReplySchema, body, `${subject} reply`));
    if (!decoded.ok) throw fromWire(decoded.error);
    return invalidReplyAsInternal(
      () => parseInput(method.reply, decoded.result, `${subject} result`) as RpcReplyOf<M>,
    );
  }
}

/** A reply that breaks the contract is the responder's bug, not the caller's bad argument. */
function invalidReplyAsInternal<T>(parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    throw new InternalError((cause as Error).message, { cause });
  }
}
