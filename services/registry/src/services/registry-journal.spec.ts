import { UnavailableError } from '@aimass/errors';
import { EventBus, type NatsConnection, type PreparedEvent } from '@aimass/nats';
import { strictMock } from '@aimass/testing/strict-mock';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelRecord, Revisioned } from '../records/records.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { RegistryEventsRepository } from '../repositories/registry-events.repository.js';
import { RegistryMetricsRepository } from '../repositories/registry-metrics.repository.js';
import { RegistryJournal } from './registry-journal.js';

const events = new RegistryEventsRepository(
  new EventBus(strictMock<NatsConnection>({}, 'NatsConnection'), 'aimass/registry'),
);

function model(outbox: PreparedEvent[] = []): ModelRecord {
  return {
    name: 'm',
    description: '',
    tags: {},
    created_at: 't0',
    updated_at: 't0',
    latest_version: 0,
    aliases: {},
    owner: '',
    framework: '',
    model_card: '',
    ...(outbox.length ? { outbox } : {}),
  };
}

const created = () => events.modelCreated({ model: 'm', description: '' });
const audited = () => events.audit('alice', 'model.create', 'models/m');

function setup(metadata: Partial<ModelMetadataRepository>) {
  const repo = strictMock<ModelMetadataRepository>(metadata, 'ModelMetadataRepository');
  const published: string[] = [];
  const publish = vi
    .spyOn(events, 'publish')
    .mockImplementation(async (p) => void published.push(p.envelope.id));
  const registry = new Registry();
  const metrics = new RegistryMetricsRepository(registry);
  /** What /metrics would show for the journal now. */
  const scrape = async () => {
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
    return {
      awaiting: await value('aimass_registry_records_awaiting_announcement'),
      published: await value('aimass_registry_announcements_published_total'),
      failures: await value('aimass_registry_announcement_failures_total'),
    };
  };
  return { journal: new RegistryJournal(events, repo, metrics), published, publish, scrape };
}

describe('RegistryJournal', () => {
  let journal: RegistryJournal | undefined;
  afterEach(async () => {
    await journal?.onModuleDestroy();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('stages announcements after those a record already carries', () => {
    const [old, first, second] = [created(), audited(), created()];
    const staged = setup({}).journal.stage(model([old!]), first!, second!);
    expect(staged.outbox).toEqual([old, first, second]);
  });

  it('creates the rows the record holds, publishes its announcements in order, then takes exactly those out of it', async () => {
    const removeAnnounced = vi.fn().mockResolvedValue(true);
    const order: string[] = [];
    const createRow = vi.fn(async (row: { key: string }) => void order.push(row.key));
    const ctx = setup({ removeAnnounced, createRow });
    ctx.publish.mockImplementation(async (p) => void order.push(p.envelope.type));
    journal = ctx.journal;
    const outbox = [created(), { ...audited(), row: { key: 'aliaslog.m.production.3.on', value: {} } }];
    const committed: Revisioned<ModelRecord> = { value: model(outbox), revision: 4 };
    await journal.flush({ model: 'm' }, committed);
    expect(order).toEqual(['aliaslog.m.production.3.on', 'registry.model.created', 'audit.record']);
    expect(removeAnnounced).toHaveBeenCalledExactlyOnceWith(
      { model: 'm' },
      new Set(outbox.map((p) => p.envelope.id)),
      committed,
    );
    expect(await ctx.scrape()).toEqual({ awaiting: 0, published: 2, failures: 0 });
  });

  it('does not throw when publishing fails, keeps the announcements in the record, and publishes them once the bus is back', async () => {
    const outbox = [created(), audited()];
    const removeAnnounced = vi.fn().mockResolvedValue(true);
    const readJournaled = vi.fn().mockResolvedValue({ value: model(outbox), revision: 5 });
    const ctx = setup({ removeAnnounced, readJournaled });
    journal = ctx.journal;
    ctx.publish.mockRejectedValueOnce(
      new UnavailableError('could not store event registry.model.created: no responders'),
    );
    await journal.flush({ model: 'm' }, { value: model(outbox), revision: 4 });
    expect(removeAnnounced).not.toHaveBeenCalled();
    expect(await ctx.scrape()).toEqual({ awaiting: 1, published: 0, failures: 1 });
    // The background retry rereads the record and publishes what it still holds.
    await vi.waitFor(async () => expect((await ctx.scrape()).awaiting).toBe(0), { timeout: 5_000 });
    expect(await ctx.scrape()).toEqual({ awaiting: 0, published: 2, failures: 1 });
    expect(readJournaled).toHaveBeenCalledWith({ model: 'm' });
    expect(ctx.published).toEqual(outbox.map((p) => p.envelope.id));
    expect(removeAnnounced).toHaveBeenCalledExactlyOnceWith({ model: 'm' }, new Set(ctx.published), {
      value: model(outbox),
      revision: 5,
    });
  });

  it('keeps a record awaiting when a new commit of it fails to publish while a retry delivers its older announcements', async () => {
    const older = { value: model([created()]), revision: 5 };
    let releaseRead!: () => void;
    const readJournaled = vi
      .fn()
      .mockImplementationOnce(() => new Promise((resolve) => (releaseRead = () => resolve(older))))
      .mockResolvedValue({ value: model(), revision: 9 });
    const ctx = setup({ readJournaled, removeAnnounced: vi.fn().mockResolvedValue(true) });
    journal = ctx.journal;
    ctx.publish.mockRejectedValueOnce(new UnavailableError('no responders'));
    await journal.flush({ model: 'm' }, older);
    await vi.waitFor(() => expect(readJournaled).toHaveBeenCalledTimes(1), { timeout: 5_000 });
    // The retry is reading the record; a newer commit of it fails to publish meanwhile.
    ctx.publish.mockRejectedValueOnce(new UnavailableError('no responders'));
    await journal.flush({ model: 'm' }, { value: model([audited()]), revision: 8 });
    releaseRead();
    await vi.waitFor(() => expect(readJournaled).toHaveBeenCalledTimes(2), { timeout: 5_000 });
    await vi.waitFor(async () => expect((await ctx.scrape()).awaiting).toBe(0));
  });

  it('at start, publishes what records left by a registry that stopped mid-commit still hold', async () => {
    const pendingModel = [{ ...created(), row: { key: 'aliaslog.m.production.1.on', value: {} } }];
    const pendingVersion = [audited()];
    const readJournaled = vi.fn(async (ref: { model: string; version?: number }) =>
      ref.version === undefined
        ? { value: model(pendingModel), revision: 2 }
        : { value: { outbox: pendingVersion }, revision: 7 },
    );
    const removeAnnounced = vi.fn().mockResolvedValue(true);
    const createRow = vi.fn().mockResolvedValue(undefined);
    const ctx = setup({
      journaledRecords: vi.fn().mockResolvedValue([{ model: 'm' }, { model: 'm', version: 3 }]),
      readJournaled,
      removeAnnounced,
      createRow,
    });
    journal = ctx.journal;
    journal.onApplicationBootstrap();
    await vi.waitFor(() => expect(removeAnnounced).toHaveBeenCalledTimes(2));
    expect(ctx.published).toEqual([...pendingModel, ...pendingVersion].map((p) => p.envelope.id));
    expect(removeAnnounced.mock.calls.map((c) => c[0])).toEqual([{ model: 'm' }, { model: 'm', version: 3 }]);
    expect(createRow).toHaveBeenCalledExactlyOnceWith(pendingModel[0]!.row);
  });

  it('keeps retrying with backoff while the bus stays down, and stops retrying when the registry stops', async () => {
    vi.useFakeTimers();
    const readJournaled = vi.fn().mockResolvedValue({ value: model([created()]), revision: 5 });
    const ctx = setup({ readJournaled, removeAnnounced: vi.fn().mockResolvedValue(true) });
    journal = ctx.journal;
    ctx.publish.mockRejectedValue(new UnavailableError('no responders'));
    await journal.flush({ model: 'm' }, { value: model([created()]), revision: 4 });
    const readsAfter = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms);
      return readJournaled.mock.calls.length;
    };
    expect([
      await readsAfter(499),
      await readsAfter(1),
      await readsAfter(999),
      await readsAfter(1),
      await readsAfter(2_000),
    ]).toEqual([0, 1, 1, 2, 3]);
    await journal.onModuleDestroy();
    expect(await readsAfter(120_000)).toBe(3);
    expect(await ctx.scrape()).toEqual({ awaiting: 1, published: 0, failures: 4 });
    journal = undefined;
  });
});
