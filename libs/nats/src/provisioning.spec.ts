import { KV_BUCKETS, STREAMS } from '@aimass/contracts';
import { startNatsServer, type NatsServer } from '@aimass/testing';
import { jetstream, RetentionPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, type NatsConnection } from './connection.js';
import { openKv, provisionStreams } from './provisioning.js';

describe('provisionStreams / openKv against nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, 'provisioning-spec');
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('creates every stream of STREAMS with its subjects and retention, and a second run changes nothing', async () => {
    const jsm = await provisionStreams(nc);
    const first = new Map<string, Awaited<ReturnType<typeof jsm.streams.info>>>();
    for (const spec of Object.values(STREAMS)) first.set(spec.name, await jsm.streams.info(spec.name));

    expect([...first.keys()].sort()).toEqual([
      'AIMASS_AUDIT',
      'AIMASS_EVENTS',
      'AIMASS_JOBS',
      'AIMASS_PREDICTIONS',
    ]);
    expect(first.get('AIMASS_JOBS')!.config.retention).toBe(RetentionPolicy.Workqueue);
    expect(first.get('AIMASS_EVENTS')!.config.retention).toBe(RetentionPolicy.Limits);
    for (const spec of Object.values(STREAMS)) {
      const config = first.get(spec.name)!.config;
      expect(config.subjects).toEqual([...spec.subjects]);
      expect(config.duplicate_window).toBe(spec.duplicateWindowSeconds * 1e9);
      expect(config.max_age).toBe(spec.maxAgeSeconds * 1e9);
    }

    await jetstream(nc).publish('aimass.audit.spec', 'kept across re-provisioning');

    await provisionStreams(nc);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    expect(names.sort()).toEqual([...first.keys()].sort());
    for (const spec of Object.values(STREAMS)) {
      const again = await jsm.streams.info(spec.name);
      expect(again.config).toEqual(first.get(spec.name)!.config);
      expect(again.created).toBe(first.get(spec.name)!.created);
    }
    expect((await jsm.streams.info('AIMASS_AUDIT')).state.messages).toBe(1);
  });

  it('tolerates services provisioning at the same time', async () => {
    const others = await Promise.all([1, 2, 3].map((i) => connectNats(server.url, `provisioning-spec-${i}`)));
    try {
      await Promise.all(others.map((c) => provisionStreams(c)));
    } finally {
      await Promise.all(others.map((c) => c.close()));
    }
    const jsm = await provisionStreams(nc);
    expect((await jsm.streams.info('AIMASS_JOBS')).config.retention).toBe(RetentionPolicy.Workqueue);
  });

  it('openKv gives compare-and-set: create only once, update only from the current revision', async () => {
    const kv = await openKv(nc);
    expect((await kv.status()).bucket).toBe(KV_BUCKETS.registry.name);
    const rev1 = await kv.create('models.fraud', '{"v":1}');
    await expect(kv.create('models.fraud', '{"v":"racer"}')).rejects.toThrow(/wrong last sequence/);

    const rev2 = await kv.update('models.fraud', '{"v":2}', rev1);
    expect(rev2).toBeGreaterThan(rev1);
    await expect(kv.update('models.fraud', '{"v":"stale"}', rev1)).rejects.toThrow(/wrong last sequence/);
    expect((await kv.get('models.fraud'))!.string()).toBe('{"v":2}');

    // Opening again (another replica, another start) sees the same bucket and data.
    const again = await openKv(nc);
    const entry = await again.get('models.fraud');
    expect(entry!.revision).toBe(rev2);
    expect((await again.status()).history).toBe(KV_BUCKETS.registry.history);
  });
});
