import { connectNats, type NatsConnection } from '@aimass/nats';
import { startNatsServer, type NatsServer } from '@aimass/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AliasChangeRecord } from '../records/records.js';
import { ModelMetadataRepository } from './model-metadata.repository.js';

// The alias history against a real nats-server KV bucket.

let server: NatsServer;
let nc: NatsConnection;
let repo: ModelMetadataRepository;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats(server.url, 'metadata-spec');
  repo = new ModelMetadataRepository(nc);
  await repo.onModuleInit();
});
afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const change = (alias: string, version: number, previous: number): AliasChangeRecord => ({
  model: 'm',
  alias,
  version,
  previous_version: previous,
  actor: 'a',
  time: 't',
});

describe('ModelMetadataRepository alias history', () => {
  it('lists changes in commit order, by revision and not as text, and creates a row once', async () => {
    await repo.createRow(repo.aliasChangeRow(change('production', 1, 0), 9));
    await repo.createRow(repo.aliasChangeRow(change('production', 2, 1), 12));
    await repo.createRow(repo.aliasChangeRow(change('staging', 2, 0), 13));
    await repo.createRow(repo.aliasChangeRow(change('production', 3, 2), 105));
    // A retried flush creates the same row again: nothing changes.
    await repo.createRow(repo.aliasChangeRow(change('production', 3, 2), 105));

    const all = await repo.listAliasChanges('m', '');
    expect(all.map((c) => [c.alias, c.version, c.previous_version])).toEqual([
      ['production', 1, 0],
      ['production', 2, 1],
      ['staging', 2, 0],
      ['production', 3, 2],
    ]);
    expect((await repo.listAliasChanges('m', 'production')).map((c) => c.version)).toEqual([1, 2, 3]);
    expect(await repo.listAliasChanges('other', '')).toEqual([]);
  });
});
