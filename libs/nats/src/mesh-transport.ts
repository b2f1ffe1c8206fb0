import {
  STREAMS,
  parseEnvelope,
  parseInput,
  EnvelopeError,
  type Envelope,
  type RpcMethod,
} from '@aimass/contracts';
import { InvalidArgumentError, isAimassError } from '@aimass/errors';
import { contextFromCarrier, tracer } from '@aimass/telemetry';
import { AckPolicy, DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { lastValueFrom, isObservable } from 'rxjs';
import { connectNats } from './connection.js';
import { provisionStreams } from './provisioning.js';
import { encodeRpcError, encodeRpcReply, type RpcEndpointExtras } from './rpc.js';

/** Identifies the NATS mesh transport among a service's Nest transports. */
export const MESH_TRANSPORT = Symbol('aimass-nats-mesh');

/** Options an @EventPattern may carry in its extras. */
export interface EventConsumerExtras {
  /** Durable consumer name; defaults to `<service>-<pattern>`. Two processes with one durable share work. */
  readonly durable?: string;
  /** Only messages published after the consumer is first created. */
  readonly newOnly?: boolean;
  /** Deliveries before a message is given up (then logged and terminated). Default 10. */
  readonly maxDeliver?: number;
  /**
   * The server deletes the consumer after this long without pulls. For consumers that belong to
   * one process (a durable named after its pid): without it, every restart leaves one behind.
   */
  readonly expireWhenIdleMs?: number;
}

export interface MeshTransportOptions {
  readonly natsUrl: string;
  readonly service: string;
  /** NATS credentials file (AIMASS_NATS_CREDENTIALS); the connection's user is the service. */
  readonly credentials?: string;
}

/**
 * The NATS side of every service, as a Nest transport:
 *  - `@EventPattern(subjectFilter)` handlers consume a durable JetStream consumer on the stream that
 *    owns the subject. A message is acked after its handler resolves, nak'ed (redelivered with
 *    backoff) when it throws a retryable error, and terminated when it can never succeed (invalid
 *    envelope, INVALID_ARGUMENT / NOT_FOUND / FAILED_PRECONDITION).
 *  - `@RpcEndpoint(method)` handlers answer core NATS request/reply in a queue group, so several
 *    replicas share the load. Each request is parsed with the method's schema from `RPC`
 *    (libs/contracts) first: a body that is not JSON or does not fit is answered INVALID_ARGUMENT
 *    naming the field, and the handler never sees it. Replies use the encoding of rpc.ts.
 * The transport owns its own NATS connection.
 */
export class NatsMeshTransport extends Server implements CustomTransportStrategy {
  private nc: NatsConnection | undefined;
  private readonly consumers: ConsumerMessages[] = [];
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly options: MeshTransportOptions) {
    super();
    // With an id of its own, Nest hands this transport only NATS patterns, never @GrpcMethod handlers.
    this.transportId = MESH_TRANSPORT;
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      this.nc = await connectNats(this.options.natsUrl, `${this.options.service}-transport`, {
        credentials: this.options.credentials,
        user: this.options.service,
      });
      await provisionStreams(this.nc);
      for (const [pattern, handler] of this.messageHandlers) {
        if (handler.isEventHandler) await this.consumeEvents(this.nc, pattern, handler);
        else this.serveRequests(this.nc, pattern, handler, rpcMethodOf(pattern, handler));
      }
      // SUB is fire-and-forget: until the server answers a PING sent after it, a request to these
      // subjects can still get "no responders". Report ready only once it would reach a handler.
      await this.nc.flush();
      callback();
    } catch (err) {
      await this.close().catch(() => undefined);
      callback(err);
    }
  }

  async close(): Promise<void> {
    for (const sub of this.subscriptions) sub.unsubscribe();
    for (const consumer of this.consumers) await consumer.close().catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    this.nc = undefined;
  }

  on(): never {
    throw new Error('NatsMeshTransport does not emit status events');
  }

  unwrap<T>(): T {
    return this.nc as T;
  }

  private async consumeEvents(nc: NatsConnection, pattern: string, handler: MessageHandler): Promise<void> {
    const stream = Object.values(STREAMS).find((s) => s.subjects.some((f) => coveredBy(pattern, f)));
    if (!stream)
      throw new Error(`no stream holds subjects "${pattern}"; add it to STREAMS in libs/contracts`);
    const extras = (handler.extras ?? {}) as EventConsumerExtras;
    const durable = extras.durable ?? `${this.options.service}-${pattern}`.replace(/[.*>\s]/g, '_');
    const maxDeliver = extras.maxDeliver ?? 10;
    const js = jetstream(nc);
    const jsm = await js.jetstreamManager();
    await jsm.consumers.add(stream.name, {
      durable_name: durable,
      filter_subject: pattern,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: extras.newOnly ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_deliver: maxDeliver,
      ...(extras.expireWhenIdleMs ? { inactive_threshold: nanos(extras.expireWhenIdleMs) } : {}),
    });
    const consumer = await js.consumers.get(stream.name, durable);
    const messages = await consumer.consume({ max_messages: 64 });
    this.consumers.push(messages);
    void (async () => {
      for await (const msg of messages) await this.handleEventMessage(pattern, msg, handler, maxDeliver);
    })();
  }

  private async handleEventMessage(
    pattern: string,
    msg: JsMsg,
    handler: MessageHandler,
    maxDeliver: number,
  ): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(msg.data);
    } catch (err) {
      this.logger.error?.(`dropping message on ${msg.subject}: ${(err as EnvelopeError).message}`);
      msg.term();
      return;
    }
    const parent = contextFromCarrier((key) => (key === 'traceparent' ? envelope.traceparent : undefined));
    const span = tracer('aimass-nats').startSpan(
      `consume ${envelope.type}`,
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.destination': msg.subject } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), async () => {
        const result = await handler(envelope, {
          subject: msg.subject,
          pattern,
          redelivered: msg.info.redelivered,
        });
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      });
      msg.ack();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      if (
        isAimassError(err) &&
        ['INVALID_ARGUMENT', 'NOT_FOUND', 'FAILED_PRECONDITION', 'ALREADY_EXISTS'].includes(err.kind)
      ) {
        this.logger.warn?.(`giving up ${envelope.type} ${envelope.id}: ${err.message}`);
        msg.term();
      } else if (msg.info.deliveryCount >= maxDeliver) {
        // The server would drop it silently after this attempt; say so and end it here.
        this.logger.error?.(
          `giving up ${envelope.type} ${envelope.id} after ${msg.info.deliveryCount} attempts: ${String(err)}`,
        );
        msg.term();
      } else {
        const delayMs = Math.min(30_000, 500 * 2 ** msg.info.deliveryCount);
        this.logger.error?.(
          `handler for ${envelope.type} ${envelope.id} failed (retry in ${delayMs} ms): ${String(err)}`,
        );
        msg.nak(delayMs);
      }
    } finally {
      span.end();
    }
  }

  private serveRequests(
    nc: NatsConnection,
    subject: string,
    handler: MessageHandler,
    method: RpcMethod,
  ): void {
    const sub = nc.subscribe(subject, {
      queue: this.options.service,
      callback: (err, msg) => {
        if (err) {
          this.logger.error?.(`subscription ${subject} failed: ${err.message}`);
          return;
        }
        this.answer(msg, handler, method).catch((e: unknown) =>
          this.logger.error?.(`could not answer ${msg.subject}: ${String(e)}`),
        );
      },
    });
    this.subscriptions.push(sub);
  }

  private async answer(msg: Msg, handler: MessageHandler, method: RpcMethod): Promise<void> {
    const parent = contextFromCarrier((key) => msg.headers?.get(key) || undefined);
    await context.with(parent, async () => {
      try {
        const request = parseInput(method.request, requestBody(msg), `${msg.subject} request`);
        let result = await handler(request, { subject: msg.subject });
        if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
        msg.respond(encodeRpcReply(result));
      } catch (err) {
        if (!isAimassError(err)) this.logger.error?.(`request ${msg.subject} failed: ${String(err)}`);
        msg.respond(encodeRpcError(err));
      }
    });
  }
}

/** The contract a request/reply handler serves; a handler without one is a wiring mistake. */
function rpcMethodOf(subject: string, handler: MessageHandler): RpcMethod {
  const method = (handler.extras as Partial<RpcEndpointExtras> | undefined)?.rpc;
  if (!method)
    throw new Error(
      `request/reply handler for "${subject}" has no contract; add it to RPC in libs/contracts and serve it with @RpcEndpoint`,
    );
  return method;
}

function requestBody(msg: Msg): unknown {
  if (msg.data.length === 0) return {};
  try {
    return msg.json();
  } catch {
    throw new InvalidArgumentError(`${msg.subject} request is not JSON`);
  }
}

/** Whether every subject matched by `pattern` is also matched by the stream filter `filter`. */
export function coveredBy(pattern: string, filter: string): boolean {
  const p = pattern.split('.');
  const f = filter.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return p.length > i;
    if (i >= p.length) return false;
    if (f[i] === '*') {
      if (p[i] === '>') return false;
      continue;
    }
    if (f[i] !== p[i]) return false;
  }
  return p.length === f.length;
}
