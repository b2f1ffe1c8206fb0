import { STREAMS, type Envelope, type registryv1 } from '@aimass/contracts';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { openKv, provisionStreams } from '@aimass/nats';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pieces, push, unary, withRegistryClient } from './registry-harness.js';

// Every registry change is committed together with its events and audit records (they sit in the
// changed KV record until published). A change made while they cannot be published is announced
// later: by the running registry once the bus is back, or by the next registry after a crash.

let mesh: Mesh;
let nc: NatsConnection;
let jsm: JetStreamManager;
let kv: KV;
const onnx = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 4, hidden: [], outputDim: 2, seed: 13, activation: 'relu' }),
  ),
);

/** Every envelope stored on `stream` under `subject`, oldest first. */
async function stored(stream: string, subject: string): Promise<Envelope[]> {
  const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: subject });
  const out: Envelope[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 256, expires: 1_000 });
    let n = 0;
    for await (const msg of batch) {
      out.push(msg.json<Envelope>());
      n++;
    }
    if (n === 0) return out;
  }
}

/** [type, subject] of what the events and audit streams hold about `model`, each as often as stored. */
async function announcementsOf(model: string): Promise<{ events: string[]; audit: string[] }> {
  const events = (await stored(STREAMS.events.name, 'aimass.events.registry.>')).filter((e) =>
    e.subject.startsWith(`models/${model}`),
  );
  const audit = (await stored(STREAMS.audit.name, 'aimass.audit.registry')).filter((e) =>
    e.subject.startsWith(`models/${model}`),
  );
  return {
    events: events.map((e) => `${e.type} ${e.subject}`).sort(),
    audit: audit.map((e) => `${(e.data as { action: string }).action} ${e.subject}`).sort(),
  };
}

/** What announcementsOf(model) shows once it holds at least `events` events (vi.waitFor retries until then). */
function announcedAtLeast(model: string, events: number) {
  return vi.waitFor(
    async () => {
      const seen = await announcementsOf(model);
      expect(seen.events.length).toBeGreaterThanOrEqual(events);
      return seen;
    },
    { timeout: 20_000, interval: 250 },
  );
}

/** The value of an unlabelled series (beyond the service label) on the registry's /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${mesh.env.AIMASS_REGISTRY_HTTP}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  if (!line) throw new Error(`/metrics has no ${name}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** How many announcements the KV record `key` still holds unpublished. */
async function unpublished(key: string): Promise<number> {
  const entry = await kv.get(key);
  return entry?.json<{ outbox?: unknown[] }>().outbox?.length ?? 0;
}

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('registry-announcements'),
    services: ['registry'],
    extraEnv: { AIMASS_LOG_LEVEL: 'error' },
  });
  nc = await connect({ servers: mesh.nats.url });
  jsm = await jetstreamManager(nc);
  kv = await openKv(nc);
});
afterAll(async () => {
  await nc?.close();
  await mesh?.stop();
});

describe('registry announcements', () => {
  it('announces a change made while the events stream was gone, once it is back, exactly once, without a restart', async () => {
    const v1 = await withRegistryClient(mesh, (client) =>
      push(client, { model: 'late', format: 'onnx' }, pieces(onnx)),
    );
    await jsm.streams.delete(STREAMS.events.name);

    // The change is committed and the caller learns so, although its event cannot be stored.
    const moved = await withRegistryClient(mesh, (client) =>
      unary<registryv1.Alias__Output>((cb) =>
        client.SetAlias({ model: 'late', alias: 'champion', version: v1.version }, cb),
      ),
    );
    expect(moved).toMatchObject({ alias: 'champion', version: v1.version, previous_version: 0 });
    expect(await unpublished('models.late')).toBe(2);
    expect(await metric('aimass_registry_records_awaiting_announcement')).toBe(1);
    expect(await metric('aimass_registry_announcement_failures_total')).toBeGreaterThanOrEqual(1);

    await provisionStreams(nc);
    const seen = await announcedAtLeast('late', 1);
    expect(seen).toEqual({
      events: ['registry.alias.moved models/late/aliases/champion'],
      audit: [
        'alias.set models/late/aliases/champion',
        'model.create models/late',
        'version.create models/late/versions/1',
      ],
    });
    expect(await unpublished('models.late')).toBe(0);
    expect(await metric('aimass_registry_records_awaiting_announcement')).toBe(0);
  });

  it('announces, after a restart, what a registry killed before publishing committed', async () => {
    await provisionStreams(nc);
    await jsm.streams.delete(STREAMS.events.name);
    const pushed = await withRegistryClient(mesh, (client) =>
      push(client, { model: 'crashed', format: 'onnx', alias: 'production' }, pieces(onnx)),
    );
    expect(pushed.version).toBe(1);
    // Model created, version created, alias moved: each committed with its event and audit record.
    expect([await unpublished('models.crashed'), await unpublished('versions.crashed.1')]).toEqual([4, 2]);

    await mesh.services.get('registry')!.child.kill9();
    await mesh.restartService('registry');

    const seen = await announcedAtLeast('crashed', 3);
    expect(seen).toEqual({
      events: [
        'registry.alias.moved models/crashed/aliases/production',
        'registry.model.created models/crashed',
        'registry.version.created models/crashed/versions/1',
      ],
      audit: [
        'alias.set models/crashed/aliases/production',
        'model.create models/crashed',
        'version.create models/crashed/versions/1',
      ],
    });
    expect([await unpublished('models.crashed'), await unpublished('versions.crashed.1')]).toEqual([0, 0]);
    // The alias history row travelled in the same commit; a second delivery did not add another.
    const history = await withRegistryClient(mesh, (client) =>
      unary<registryv1.ListAliasHistoryResponse__Output>((cb) =>
        client.ListAliasHistory({ model: 'crashed', alias: '' }, cb),
      ),
    );
    expect(history.changes.map((c) => [c.alias, c.version, c.previous_version])).toEqual([
      ['production', 1, 0],
    ]);
    // What the records said is what the streams hold: the version event carries the committed digest.
    const [created] = (await stored(STREAMS.events.name, 'aimass.events.registry.version.created')).filter(
      (e) => e.subject === 'models/crashed/versions/1',
    );
    expect(created!.data).toMatchObject({ model: 'crashed', version: 1, sha256: pushed.sha256 });
  });
});
