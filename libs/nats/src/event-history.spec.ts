import { subjects, type Envelope } from '@aimass/contracts';
import { startNatsServer, type NatsServer } from '@aimass/testing';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, type NatsConnection } from './connection.js';
import { EventBus } from './event-bus.js';
import { readEvents } from './event-history.js';
import { provisionStreams } from './provisioning.js';

const progress = (jobId: string, epoch: number) => ({
  job_id: jobId,
  pool: 'cpu',
  backend: 'wasm',
  node_id: 'n1',
  epoch,
  epochs: 3,
  losses: { loss: 1 / epoch },
  metrics: {},
  samples_per_second: 10,
  learning_rate: 0.001,
});

describe('readEvents against nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let bus: EventBus;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, 'event-history-spec');
    await provisionStreams(nc);
    bus = new EventBus(nc, 'trainer');
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  async function collect(iterable: AsyncIterable<Envelope>, count = Infinity): Promise<Envelope[]> {
    const out: Envelope[] = [];
    for await (const e of iterable) {
      out.push(e);
      if (out.length >= count) break;
    }
    return out;
  }

  it('with follow false, reads the stored events of the filter since a time, oldest first, and ends', async () => {
    await bus.publishEvent('trainer.job.progress', 'jobs/old', progress('old', 1));
    await new Promise((r) => setTimeout(r, 20));
    const since = new Date();
    for (const epoch of [1, 2, 3])
      await bus.publishEvent('trainer.job.progress', 'jobs/a', progress('a', epoch));
    await bus.publishEvent('registry.model.created', 'models/m', { model: 'm', description: '' });

    const read = await collect(readEvents(nc, { types: 'trainer.job.>', since, follow: false }));
    expect(read.map((e) => [e.type, (e.data as { epoch: number }).epoch])).toEqual([
      ['trainer.job.progress', 1],
      ['trainer.job.progress', 2],
      ['trainer.job.progress', 3],
    ]);
  });

  it('with follow false and nothing stored since the time, ends at once', async () => {
    const read = await collect(
      readEvents(nc, { types: 'trainer.job.>', since: new Date(Date.now() + 60_000), follow: false }),
    );
    expect(read).toEqual([]);
  });

  it('following, yields what is stored, then new events as they are published', async () => {
    const since = new Date();
    await bus.publishEvent('trainer.job.progress', 'jobs/b', progress('b', 1));
    const reader = readEvents(nc, { types: 'trainer.job.progress', since });
    const first = await reader.next();
    expect((first.value as Envelope).data).toMatchObject({ job_id: 'b', epoch: 1 });
    setTimeout(() => void bus.publishEvent('trainer.job.progress', 'jobs/b', progress('b', 2)), 50);
    const second = await reader.next();
    expect((second.value as Envelope).data).toMatchObject({ job_id: 'b', epoch: 2 });
    await reader.return(undefined);
  });

  it('skips bytes that are not an envelope and stops when its signal aborts', async () => {
    const since = new Date();
    await jetstream(nc).publish(subjects.event('trainer.job.progress'), 'not json');
    await bus.publishEvent('trainer.job.progress', 'jobs/c', progress('c', 1));
    const abort = new AbortController();
    const read: Envelope[] = [];
    for await (const e of readEvents(nc, { types: 'trainer.job.progress', since, signal: abort.signal })) {
      read.push(e);
      abort.abort();
    }
    expect(read.map((e) => (e.data as { job_id: string }).job_id)).toEqual(['c']);
  });
});
