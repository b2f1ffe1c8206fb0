import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from './process-table.js';
import { startNatsServer, type NatsServer } from './nats-server.js';

async function jsApi<T>(
  nc: NatsConnection,
  subject: string,
  body?: unknown,
): Promise<T & { error?: { description: string } }> {
  const reply = await nc.request(
    `$JS.API.${subject}`,
    body === undefined ? undefined : JSON.stringify(body),
    { timeout: 5_000 },
  );
  return reply.json();
}

describe('startNatsServer', () => {
  let server: NatsServer | undefined;
  afterAll(async () => server?.stop());

  it('starts JetStream on a free loopback port, keeps streams across restart, and leaves no process on stop', async () => {
    server = await startNatsServer();
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(4222);

    let nc = await connect({ servers: server.url });
    const created = await jsApi<{ config: { name: string } }>(nc, 'STREAM.CREATE.SPEC', {
      name: 'SPEC',
      subjects: ['spec.>'],
      storage: 'file',
    });
    expect(created.error).toBeUndefined();
    expect(created.config.name).toBe('SPEC');
    const ack = (await nc.request('spec.one', 'hello', { timeout: 5_000 })).json<{
      stream: string;
      seq: number;
    }>();
    expect(ack).toMatchObject({ stream: 'SPEC', seq: 1 });
    await nc.close();

    const firstPid = server.child.pid;
    await server.restart();
    expect(server.child.pid).not.toBe(firstPid);
    expect(processAlive(firstPid)).toBe(false);
    nc = await connect({ servers: server.url });
    const info = await jsApi<{ state: { messages: number } }>(nc, 'STREAM.INFO.SPEC');
    expect(info.state.messages).toBe(1);
    await nc.close();

    const pid = server.child.pid;
    await server.stop();
    expect(processAlive(pid)).toBe(false);
    await expect(connect({ servers: server.url, reconnect: false, timeout: 1_000 })).rejects.toThrow();
  });

  it('fails with the log tail when the port is already taken by another server', async () => {
    const first = await startNatsServer();
    try {
      const error = await startNatsServer({ port: first.port, readyTimeoutMs: 10_000 }).catch(
        (err: unknown) => err,
      );
      expect(error).toMatchObject({ name: 'ProcessStartError' });
      expect((error as Error).message).toMatch(/address already in use/i);
    } finally {
      await first.stop();
    }
  });
});
