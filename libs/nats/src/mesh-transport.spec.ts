import { encodeEnvelope, makeEnvelope, STREAMS, type Envelope } from '@aimass/contracts';
import { InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { freePort, startNatsServer, type NatsServer } from '@aimass/testing';
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { MessageHandler } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectNats, type NatsConnection } from './connection.js';
import { coveredBy, NatsMeshTransport } from './mesh-transport.js';
import { provisionStreams } from './provisioning.js';

describe('coveredBy', () => {
  it.each([
    ['aimass.predictions.>', 'aimass.predictions.>', true],
    ['aimass.predictions.inference', 'aimass.predictions.>', true],
    ['aimass.events.registry.alias.moved', 'aimass.events.>', true],
    ['aimass.events.*.alias.moved', 'aimass.events.>', true],
    ['aimass.jobs.train.cpu', 'aimass.jobs.>', true],
    ['aimass.events', 'aimass.events.>', false],
    ['aimass.audit.registry', 'aimass.events.>', false],
    ['aimass.jobs.train.cpu', 'aimass.jobs.train.*', true],
    ['aimass.jobs.train.>', 'aimass.jobs.train.*', false],
    ['aimass.jobs.train.cpu.x', 'aimass.jobs.train.*', false],
  ])('%s within %s: %s', (pattern, filter, expected) => {
    expect(coveredBy(pattern, filter)).toBe(expected);
  });
});

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listen(transport: NatsMeshTransport): Promise<void> {
  return new Promise((resolve, reject) => {
    void transport.listen((err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** What @EventPattern(subject) would register: the handler plus the isEventHandler flag. */
function asHandler(fn: (...args: never[]) => unknown): MessageHandler {
  return fn as unknown as MessageHandler;
}

const SERVICE = 'spec';
const durableFor = (pattern: string) => `${SERVICE}-${pattern}`.replace(/[.*>\s]/g, '_');
const modelCreated = (model: string): Envelope =>
  makeEnvelope('registry.model.created', {
    source: 'registry',
    subject: `models/${model}`,
    data: { model, description: '' },
  });

describe('NatsMeshTransport event consumers against nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let transport: NatsMeshTransport;

  const ok = vi.fn(async (_envelope: Envelope, _ctx: { redelivered: boolean }) => undefined);
  const invalid = vi.fn(async () => {
    throw new InvalidArgumentError('model name is not allowed');
  });
  const flaky = vi.fn(async (_envelope: Envelope, ctx: { redelivered: boolean }) => {
    if (!ctx.redelivered) throw new Error('database briefly unreachable');
  });
  const garbage = vi.fn(async () => undefined);

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, 'mesh-transport-spec');
    jsm = await provisionStreams(nc);
    js = jetstream(nc);
    transport = new NatsMeshTransport({ natsUrl: server.url, service: SERVICE });
    transport.addHandler('aimass.events.spec.ok', asHandler(ok), true);
    transport.addHandler('aimass.events.spec.invalid', asHandler(invalid), true);
    transport.addHandler('aimass.events.spec.flaky', asHandler(flaky), true);
    transport.addHandler('aimass.events.spec.garbage', asHandler(garbage), true);
    await listen(transport);
  });
  afterAll(async () => {
    await transport?.close();
    await nc?.close();
    await server?.stop();
  });

  const consumerInfo = (pattern: string) => jsm.consumers.info(STREAMS.events.name, durableFor(pattern));

  /** Resolves with the first advisory the server raises for the consumer of `pattern` (or the durable so named). */
  function advisory(
    kind: 'MSG_TERMINATED' | 'MSG_NAKED',
    pattern: string,
    timeoutMs = 10_000,
  ): Promise<unknown> {
    const durable = pattern.startsWith('aimass.') ? durableFor(pattern) : pattern;
    const sub = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.${kind}.${STREAMS.events.name}.${durable}`, {
      max: 1,
      timeout: timeoutMs,
    });
    return (async () => {
      for await (const msg of sub) return msg.json();
      throw new Error(`no ${kind} advisory for ${pattern}`);
    })();
  }

  it('creates one durable consumer per @EventPattern on the stream that owns the subject', async () => {
    const names: string[] = [];
    for await (const info of jsm.consumers.list(STREAMS.events.name)) names.push(info.name);
    expect(names.sort()).toEqual(
      ['ok', 'invalid', 'flaky', 'garbage'].map((s) => durableFor(`aimass.events.spec.${s}`)).sort(),
    );
  });

  it('hands a valid envelope to the handler and acks it', async () => {
    const envelope = modelCreated('fraud');
    await js.publish('aimass.events.spec.ok', encodeEnvelope(envelope));
    await eventually('the handler', () => (ok.mock.calls.length > 0 ? true : undefined));
    expect(ok.mock.calls[0]![0]).toEqual(envelope);
    expect(ok.mock.calls[0]![1]).toMatchObject({ subject: 'aimass.events.spec.ok', redelivered: false });
    const info = await eventually('the ack', async () => {
      const i = await consumerInfo('aimass.events.spec.ok');
      return i.ack_floor.stream_seq >= i.delivered.stream_seq && i.delivered.consumer_seq === 1
        ? i
        : undefined;
    });
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(ok).toHaveBeenCalledTimes(1);
  });

  it('terminates a message whose handler throws InvalidArgumentError: it is not redelivered', async () => {
    const terminated = advisory('MSG_TERMINATED', 'aimass.events.spec.invalid');
    await js.publish('aimass.events.spec.invalid', encodeEnvelope(modelCreated('bad name')));
    await terminated;
    // A nak'ed message would come back after 1 s (first back-off step).
    await sleep(1_500);
    expect(invalid).toHaveBeenCalledTimes(1);
    const info = await consumerInfo('aimass.events.spec.invalid');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('redelivers a message whose handler throws a plain Error, and acks it once it succeeds', async () => {
    const naked = advisory('MSG_NAKED', 'aimass.events.spec.flaky');
    const envelope = modelCreated('retry-me');
    await js.publish('aimass.events.spec.flaky', encodeEnvelope(envelope));
    await naked;
    await eventually('the redelivery', () => (flaky.mock.calls.length >= 2 ? true : undefined));
    expect(flaky.mock.calls.map(([e, ctx]) => [e.id, ctx.redelivered])).toEqual([
      [envelope.id, false],
      [envelope.id, true],
    ]);
    await eventually('the ack', async () =>
      (await consumerInfo('aimass.events.spec.flaky')).num_ack_pending === 0 ? true : undefined,
    );
    await sleep(300);
    expect(flaky).toHaveBeenCalledTimes(2);
  });

  it('terminates bytes that are not an envelope without calling the handler', async () => {
    const terminated = advisory('MSG_TERMINATED', 'aimass.events.spec.garbage');
    await js.publish('aimass.events.spec.garbage', Uint8Array.from([0xff, 0x00, 0x7b, 0x22]));
    await terminated;
    const unknownType = advisory('MSG_TERMINATED', 'aimass.events.spec.garbage');
    await js.publish(
      'aimass.events.spec.garbage',
      JSON.stringify({ ...modelCreated('x'), type: 'no.such.event' }),
    );
    await unknownType;
    expect(garbage).not.toHaveBeenCalled();
    const info = await consumerInfo('aimass.events.spec.garbage');
    expect(info.delivered.consumer_seq).toBe(2);
    expect(info.num_ack_pending).toBe(0);
  });

  it('honours the extras of an @EventPattern: durable name, newOnly, maxDeliver, expiry when idle', async () => {
    await js.publish('aimass.events.spec.extras', encodeEnvelope(modelCreated('before-the-consumer')));
    const seen: string[] = [];
    const failing = vi.fn(async (envelope: Envelope) => {
      seen.push(envelope.subject);
      throw new Error('always failing');
    });
    const other = new NatsMeshTransport({ natsUrl: server.url, service: SERVICE });
    other.addHandler('aimass.events.spec.extras', asHandler(failing), true, {
      durable: 'spec-extras',
      newOnly: true,
      maxDeliver: 2,
      expireWhenIdleMs: 60_000,
    });
    await listen(other);
    try {
      const info = await jsm.consumers.info(STREAMS.events.name, 'spec-extras');
      expect(info.config).toMatchObject({
        durable_name: 'spec-extras',
        filter_subject: 'aimass.events.spec.extras',
        max_deliver: 2,
        inactive_threshold: 60_000_000_000,
      });
      const givenUp = advisory('MSG_TERMINATED', 'spec-extras');
      await js.publish('aimass.events.spec.extras', encodeEnvelope(modelCreated('after-the-consumer')));
      // The last allowed attempt ends the message instead of nak'ing it into a silent drop.
      await givenUp;
      await sleep(300);
      expect(seen).toEqual(['models/after-the-consumer', 'models/after-the-consumer']);
      expect((await jsm.consumers.info(STREAMS.events.name, 'spec-extras')).num_ack_pending).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('close() stops consuming: later events wait in the stream', async () => {
    const calls = ok.mock.calls.length;
    await transport.close();
    expect(transport.unwrap()).toBeUndefined();
    await js.publish('aimass.events.spec.ok', encodeEnvelope(modelCreated('after-close')));
    await sleep(500);
    expect(ok).toHaveBeenCalledTimes(calls);
    const info = await consumerInfo('aimass.events.spec.ok');
    expect(info.num_pending).toBe(1);
  });
});

describe('NatsMeshTransport.listen', () => {
  it('reports an unreachable NATS to the callback as UnavailableError', async () => {
    const port = await freePort();
    const transport = new NatsMeshTransport({ natsUrl: `nats://127.0.0.1:${port}`, service: SERVICE });
    transport.addHandler(
      'aimass.events.spec.ok',
      asHandler(async () => undefined),
      true,
    );
    const err = await listen(transport).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    await transport.close();
  });
});
