import { rpcMethod, type RpcMethod } from '@aimass/contracts';
import {
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@aimass/errors';
import { startNatsServer, type NatsServer } from '@aimass/testing';
import type { MessageHandler } from '@nestjs/microservices';
import { of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { connectNats, type NatsConnection } from './connection.js';
import { NatsMeshTransport } from './mesh-transport.js';
import { NatsRpcClient, type RpcEndpointExtras } from './rpc.js';

function listen(transport: NatsMeshTransport): Promise<void> {
  return new Promise((resolve, reject) => {
    void transport.listen((err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** What @RpcEndpoint(method) would register. */
function serve(transport: NatsMeshTransport, method: RpcMethod, fn: (...args: never[]) => unknown): void {
  transport.addHandler(method.subject, fn as unknown as MessageHandler, false, {
    rpc: method,
  } satisfies RpcEndpointExtras);
}

const anything = z.unknown();
const spec = (name: string, reply: z.ZodType = anything) =>
  rpcMethod('spec', name, z.record(z.string(), z.unknown()), reply);
const ECHO = spec('echo', z.object({ echoed: z.unknown(), subject: z.string() }));
const OBSERVABLE = spec('observable');
const MISSING = spec('missing');
const BROKEN = spec('broken');
const SLOW = spec('slow');
const CHAINED = spec('chained');
const NOBODY = rpcMethod('nobody', 'home', anything, anything);
/** A request with typed fields, for the table of bad payloads. */
const STRICT = rpcMethod(
  'spec',
  'strict',
  z.object({
    model: z.string({ error: 'model must be a string' }).min(1, 'model is empty'),
    count: z.number({ error: 'count must be a number' }).int('count must be a whole number'),
    tags: z.record(z.string(), z.string()).default({}),
  }),
  z.object({ model: z.string(), count: z.number() }),
);
/** A responder that breaks its own contract. */
const LIAR = rpcMethod('spec', 'liar', anything, z.object({ version: z.number().int().positive() }));

async function failureOf(call: Promise<unknown>): Promise<Error> {
  const outcome = await call.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.err as Error;
}

describe('NatsRpcClient ↔ NatsMeshTransport request/reply against nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let client: NatsRpcClient;
  let transport: NatsMeshTransport;
  const echo = vi.fn(async (payload: unknown, ctx: { subject: string }) => ({
    echoed: payload,
    subject: ctx.subject,
  }));
  const strict = vi.fn(async (req: { model: string; count: number }) => ({
    model: req.model,
    count: req.count,
  }));

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, 'rpc-spec');
    client = new NatsRpcClient(nc, 2_000);
    transport = new NatsMeshTransport({ natsUrl: server.url, service: 'spec' });
    serve(transport, ECHO, echo);
    serve(transport, OBSERVABLE, () => of('first', 'last'));
    serve(transport, MISSING, async () => {
      throw new NotFoundError('model "fraud" has no version 9');
    });
    serve(transport, BROKEN, async () => {
      throw new Error('connection string postgres://admin:hunter2@db rejected');
    });
    serve(transport, CHAINED, async () => {
      const storage = new UnavailableError('object storage unreachable', {
        cause: new Error('ECONNREFUSED 10.0.0.7:9000'),
      });
      throw new NotFoundError('model "fraud" has no servable version', {
        cause: new FailedPreconditionError('version 3 cannot be read', { cause: storage }),
      });
    });
    serve(transport, SLOW, async () => {
      await new Promise((r) => setTimeout(r, 1_500));
      return 'late';
    });
    serve(transport, STRICT, strict);
    serve(transport, LIAR, async () => ({ version: 'three' }));
    await listen(transport);
  });
  afterAll(async () => {
    await transport?.close();
    await nc?.close();
    await server?.stop();
  });

  it('returns the handler result to the caller', async () => {
    const reply = await client.call(ECHO, {
      model: 'fraud',
      n: [1, 2],
    });
    expect(reply).toEqual({ echoed: { model: 'fraud', n: [1, 2] }, subject: 'aimass.rpc.spec.echo' });
    expect(echo).toHaveBeenCalledTimes(1);
  });

  it('answers with the last value of an Observable result', async () => {
    expect(await client.call(OBSERVABLE, {})).toBe('last');
  });

  it('rebuilds a remote NotFoundError with the same message', async () => {
    const err = await failureOf(client.call(MISSING, {}));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('model "fraud" has no version 9');
  });

  it('rebuilds the cause chain of a remote error, hiding the text of untyped causes', async () => {
    const err = await failureOf(client.call(CHAINED, {}));
    const chain: [unknown, string][] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push([e.constructor, e.message]);
    expect(chain).toEqual([
      [NotFoundError, 'model "fraud" has no servable version'],
      [FailedPreconditionError, 'version 3 cannot be read'],
      [UnavailableError, 'object storage unreachable'],
      [InternalError, 'internal error in the remote service; see its log'],
    ]);
  });

  it('turns an untyped remote failure into InternalError without leaking its text', async () => {
    const err = await failureOf(client.call(BROKEN, {}));
    expect(err).toBeInstanceOf(InternalError);
    expect(err.message).not.toMatch(/hunter2|postgres|connection string/);
  });

  it('reports a subject nobody serves as UnavailableError', async () => {
    const err = await failureOf(client.call(NOBODY, {}));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain('aimass.rpc.nobody.home');
  });

  it('reports a handler slower than the client timeout as DeadlineExceededError', async () => {
    const impatient = new NatsRpcClient(nc, 300);
    const err = await failureOf(impatient.call(SLOW, {}));
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(err.message).toContain('300 ms');
  });

  it('shares requests between replicas of one service (queue group)', async () => {
    const replica = new NatsMeshTransport({ natsUrl: server.url, service: 'spec' });
    const other = vi.fn(async () => ({ echoed: 'replica', subject: '' }));
    serve(replica, ECHO, other);
    await listen(replica);
    try {
      const before = echo.mock.calls.length;
      for (let i = 0; i < 40; i++) await client.call(ECHO, { i });
      // Each request is answered exactly once, by one of the two.
      expect(echo.mock.calls.length - before + other.mock.calls.length).toBe(40);
      expect(other.mock.calls.length).toBeGreaterThan(0);
      expect(echo.mock.calls.length - before).toBeGreaterThan(0);
    } finally {
      await replica.close();
    }
  });

  it('answers a request sent the moment listen() reports ready', async () => {
    // Before listen() waited for the server to confirm its subscriptions, about 1 in 7 of these
    // first requests got "no responders".
    for (let i = 0; i < 20; i++) {
      const fresh = new NatsMeshTransport({ natsUrl: server.url, service: `fresh-${i}` });
      const method = spec(`fresh${i}`);
      serve(fresh, method, async () => i);
      await listen(fresh);
      try {
        expect(await client.call(method, {})).toBe(i);
      } finally {
        await fresh.close();
      }
    }
  });

  it.each<[string, string | Uint8Array, RegExp]>([
    [
      'a body that is not JSON',
      '{"model": "fraud", count: 1',
      /aimass\.rpc\.spec\.strict request is not JSON/,
    ],
    ['a JSON array', '[1, 2]', /invalid aimass\.rpc\.spec\.strict request: .*expected object/i],
    ['a JSON string', '"fraud"', /invalid aimass\.rpc\.spec\.strict request: .*expected object/i],
    ['JSON null', 'null', /invalid aimass\.rpc\.spec\.strict request: .*expected object/i],
    ['a missing field', '{"model": "fraud"}', /count: count must be a number/],
    ['a field of the wrong type', '{"model": 7, "count": 1}', /model: model must be a string/],
    ['an empty field', '{"model": "", "count": 1}', /model: model is empty/],
    [
      'a fraction where a whole number goes',
      '{"model": "m", "count": 1.5}',
      /count: count must be a whole number/,
    ],
    ['a nested field of the wrong type', '{"model": "m", "count": 1, "tags": {"a": 1}}', /tags\.a: /],
    [
      'every bad field at once',
      '{"model": 1, "count": "x"}',
      /model: model must be a string; count: count must be a number/,
    ],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x00, 0x7b]), /not JSON/],
  ])(
    'answers %s with INVALID_ARGUMENT naming the field, without calling the handler',
    async (_what, body, message) => {
      const before = strict.mock.calls.length;
      const reply = await nc.request(STRICT.subject, body, { timeout: 2_000 });
      const decoded = reply.json<{ ok: boolean; error: { kind: string; message: string } }>();
      expect(decoded.ok).toBe(false);
      expect(decoded.error.kind).toBe('INVALID_ARGUMENT');
      expect(decoded.error.message).toMatch(message);
      expect(strict.mock.calls.length).toBe(before);
      // The responder is still there for the next caller.
      expect(await client.call(STRICT, { model: 'fraud', count: 2 })).toEqual({ model: 'fraud', count: 2 });
    },
  );

  it('refuses a bad request before it leaves the caller', async () => {
    const before = strict.mock.calls.length;
    const err = await failureOf(client.call(STRICT, { model: '', count: 1 }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/model: model is empty/);
    expect(strict.mock.calls.length).toBe(before);
  });

  it('reports a reply that breaks the contract as InternalError naming the field', async () => {
    const err = await failureOf(client.call(LIAR, {}));
    expect(err).toBeInstanceOf(InternalError);
    expect(err.message).toMatch(/invalid aimass\.rpc\.spec\.liar result: version: /);
  });

  it('will not serve a request/reply handler that has no contract', async () => {
    const careless = new NatsMeshTransport({ natsUrl: server.url, service: 'careless' });
    careless.addHandler('aimass.rpc.careless.any', (async () => 1) as unknown as MessageHandler);
    await expect(listen(careless)).rejects.toThrow(/aimass\.rpc\.careless\.any" has no contract/);
  });

  it('close() stops answering', async () => {
    await transport.close();
    const err = await failureOf(client.call(ECHO, {}));
    expect(err).toBeInstanceOf(UnavailableError);
    await transport.close();
  });
});
