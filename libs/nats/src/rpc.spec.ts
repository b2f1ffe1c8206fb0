import { DeadlineExceededError, InternalError, NotFoundError, UnavailableError } from '@aimass/errors';
import { startNatsServer, type NatsServer } from '@aimass/testing';
import type { MessageHandler } from '@nestjs/microservices';
import { of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectNats, type NatsConnection } from './connection.js';
import { NatsMeshTransport } from './mesh-transport.js';
import { NatsRpcClient } from './rpc.js';

function listen(transport: NatsMeshTransport): Promise<void> {
  return new Promise((resolve, reject) => {
    void transport.listen((err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** What @MessagePattern(subject) would register. */
function asHandler(fn: (...args: never[]) => unknown): MessageHandler {
  return fn as unknown as MessageHandler;
}

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

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, 'rpc-spec');
    client = new NatsRpcClient(nc, 2_000);
    transport = new NatsMeshTransport({ natsUrl: server.url, service: 'spec' });
    transport.addHandler('aimass.rpc.spec.echo', asHandler(echo));
    transport.addHandler(
      'aimass.rpc.spec.observable',
      asHandler(() => of('first', 'last')),
    );
    transport.addHandler(
      'aimass.rpc.spec.missing',
      asHandler(async () => {
        throw new NotFoundError('model "fraud" has no version 9');
      }),
    );
    transport.addHandler(
      'aimass.rpc.spec.broken',
      asHandler(async () => {
        throw new Error('connection string postgres://admin:hunter2@db rejected');
      }),
    );
    transport.addHandler(
      'aimass.rpc.spec.slow',
      asHandler(async () => {
        await new Promise((r) => setTimeout(r, 1_500));
        return 'late';
      }),
    );
    await listen(transport);
  });
  afterAll(async () => {
    await transport?.close();
    await nc?.close();
    await server?.stop();
  });

  it('returns the handler result to the caller', async () => {
    const reply = await client.request<{ echoed: unknown; subject: string }>('aimass.rpc.spec.echo', {
      model: 'fraud',
      n: [1, 2],
    });
    expect(reply).toEqual({ echoed: { model: 'fraud', n: [1, 2] }, subject: 'aimass.rpc.spec.echo' });
    expect(echo).toHaveBeenCalledTimes(1);
  });

  it('answers with the last value of an Observable result', async () => {
    expect(await client.request('aimass.rpc.spec.observable', {})).toBe('last');
  });

  it('rebuilds a remote NotFoundError with the same message', async () => {
    const err = await failureOf(client.request('aimass.rpc.spec.missing', {}));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('model "fraud" has no version 9');
  });

  it('turns an untyped remote failure into InternalError without leaking its text', async () => {
    const err = await failureOf(client.request('aimass.rpc.spec.broken', {}));
    expect(err).toBeInstanceOf(InternalError);
    expect(err.message).not.toMatch(/hunter2|postgres|connection string/);
  });

  it('reports a subject nobody serves as UnavailableError', async () => {
    const err = await failureOf(client.request('aimass.rpc.nobody.home', {}));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.message).toContain('aimass.rpc.nobody.home');
  });

  it('reports a handler slower than the client timeout as DeadlineExceededError', async () => {
    const impatient = new NatsRpcClient(nc, 300);
    const err = await failureOf(impatient.request('aimass.rpc.spec.slow', {}));
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(err.message).toContain('300 ms');
  });

  it('shares requests between replicas of one service (queue group)', async () => {
    const replica = new NatsMeshTransport({ natsUrl: server.url, service: 'spec' });
    const other = vi.fn(async () => ({ echoed: 'replica', subject: '' }));
    replica.addHandler('aimass.rpc.spec.echo', asHandler(other));
    await listen(replica);
    try {
      const before = echo.mock.calls.length;
      for (let i = 0; i < 40; i++) await client.request('aimass.rpc.spec.echo', { i });
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
      fresh.addHandler(
        `aimass.rpc.spec.fresh${i}`,
        asHandler(async () => i),
      );
      await listen(fresh);
      try {
        expect(await client.request(`aimass.rpc.spec.fresh${i}`, {})).toBe(i);
      } finally {
        await fresh.close();
      }
    }
  });

  it('close() stops answering', async () => {
    await transport.close();
    const err = await failureOf(client.request('aimass.rpc.spec.echo', {}));
    expect(err).toBeInstanceOf(UnavailableError);
    await transport.close();
  });
});
