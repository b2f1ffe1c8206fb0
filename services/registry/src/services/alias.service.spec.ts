import { loadConfig } from '@aimass/config';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { describe, expect, it, vi } from 'vitest';
import { journalOver } from '../../test/journal-fixture.js';
import { EMPTY_LINEAGE, type ModelRecord, type VersionRecord } from '../records/records.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { AliasService } from './alias.service.js';
import { ModelCatalogService } from './model-catalog.service.js';

function model(overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    name: 'm',
    description: '',
    tags: {},
    owner: '',
    framework: '',
    model_card: '',
    created_at: 't0',
    updated_at: 't0',
    latest_version: 3,
    aliases: {},
    ...overrides,
  };
}

function version(n: number, state: VersionRecord['state'] = 'READY'): VersionRecord {
  return {
    model: 'm',
    version: n,
    state,
    format: 'onnx',
    size_bytes: 1,
    sha256: 'a'.repeat(64),
    artifact_key: `k${n}`,
    signature: { inputs: [], outputs: [] },
    created_at: 't',
    tags: {},
    lineage: EMPTY_LINEAGE,
  };
}

/** The service over mocked KV; `published` records what was announced. */
function setup(metadata: Partial<ModelMetadataRepository>) {
  const { repo, journal, published } = journalOver(metadata);
  return Object.assign(
    new AliasService(repo, new ModelCatalogService(repo, journal, loadConfig({})), journal),
    { published },
  );
}

describe('AliasService.setAlias', () => {
  it('moves the alias with a CAS, records the move in the history, announces and audits it', async () => {
    const updateModel = vi.fn().mockResolvedValue(8);
    const createRow = vi.fn().mockResolvedValue(undefined);
    const removeAnnounced = vi.fn().mockResolvedValue(true);
    const service = setup({
      getVersion: vi.fn().mockResolvedValue(version(3)),
      getModel: vi.fn().mockResolvedValue({ value: model({ aliases: { production: 2 } }), revision: 7 }),
      updateModel,
      createRow,
      removeAnnounced,
    });
    const moved = await service.setAlias('m', 'production', 3, 'alice');
    expect(moved).toEqual({ model: 'm', alias: 'production', version: 3, previous_version: 2 });
    const [written, revision] = updateModel.mock.calls[0]! as [ModelRecord, number];
    expect(written.aliases).toEqual({ production: 3 });
    expect(revision).toBe(7);
    // The move, its history row and its announcements are one write; after it the row is created,
    // the announcements are published, and all of it is taken out of the record.
    const sent = service.published.mock.calls.map(([p]) => p.envelope);
    expect(written.outbox!.map((p) => p.envelope)).toEqual(sent);
    expect(written.outbox![0]!.row).toEqual({
      key: 'aliaslog.m.production.7.on',
      value: expect.objectContaining({ ...moved, actor: 'alice' }),
    });
    expect(createRow).toHaveBeenCalledExactlyOnceWith(written.outbox![0]!.row);
    expect(sent).toMatchObject([
      { type: 'registry.alias.moved', subject: 'models/m/aliases/production', data: moved },
      {
        type: 'audit.record',
        data: {
          actor: 'alice',
          action: 'alias.set',
          resource: 'models/m/aliases/production',
          details: { version: 3, previous_version: 2 },
        },
      },
    ]);
    expect(removeAnnounced).toHaveBeenCalledWith({ model: 'm' }, new Set(sent.map((e) => e.id)), {
      value: written,
      revision: 8,
    });
  });

  it('puts the alias back when the version was archived while it moved', async () => {
    const getVersion = vi
      .fn()
      .mockResolvedValueOnce(version(3))
      .mockResolvedValueOnce(version(3, 'ARCHIVED'));
    const updateModel = vi.fn().mockResolvedValue(9);
    const service = setup({
      getVersion,
      getModel: vi.fn().mockResolvedValue({ value: model({ aliases: { production: 2 } }), revision: 7 }),
      updateModel,
    });
    await expect(service.setAlias('m', 'production', 3, 'alice')).rejects.toThrow(
      /became ARCHIVED while the alias moved; the alias was put back/,
    );
    expect(updateModel.mock.calls.map(([record]) => (record as ModelRecord).aliases.production)).toEqual([
      3, 2,
    ]);
  });

  it.each<[string, [string, number], Partial<ModelMetadataRepository>, unknown, RegExp]>([
    ['a bad alias name', ['no/slash', 1], {}, InvalidArgumentError, /alias/],
    ['an empty alias name', ['', 1], {}, InvalidArgumentError, /alias/],
    ['version 0', ['production', 0], {}, InvalidArgumentError, /version must be a positive integer, got 0/],
    [
      'a version that does not exist',
      ['production', 9],
      { getVersion: vi.fn().mockResolvedValue(null) },
      NotFoundError,
      /model "m" has no version 9/,
    ],
    [
      'an archived version',
      ['production', 2],
      { getVersion: vi.fn().mockResolvedValue(version(2, 'ARCHIVED')) },
      FailedPreconditionError,
      /is ARCHIVED; only READY versions can take an alias/,
    ],
    [
      'a deleted version',
      ['production', 2],
      { getVersion: vi.fn().mockResolvedValue(version(2, 'DELETED')) },
      FailedPreconditionError,
      /is DELETED/,
    ],
  ])('refuses %s without moving anything', async (_what, [alias, n], metadata, type, message) => {
    const err = await setup(metadata)
      .setAlias('m', alias, n, 'alice')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });
});

describe('AliasService.deleteAlias and history', () => {
  it('deletes an alias (version 0 in the history) and refuses one that does not exist', async () => {
    const updateModel = vi.fn().mockResolvedValue(5);
    const service = setup({
      getModel: vi.fn().mockResolvedValue({ value: model({ aliases: { staging: 1 } }), revision: 4 }),
      updateModel,
    });
    expect(await service.deleteAlias('m', 'staging', 'bob')).toEqual({
      model: 'm',
      alias: 'staging',
      version: 0,
      previous_version: 1,
    });
    expect(updateModel.mock.calls[0]![0].aliases).toEqual({});
    await expect(service.deleteAlias('m', 'production', 'bob')).rejects.toThrow(
      new NotFoundError('model "m" has no alias "production"'),
    );
  });

  it('lists the history of one alias or all, after checking the model exists', async () => {
    const listAliasChanges = vi
      .fn()
      .mockResolvedValue([
        { model: 'm', alias: 'production', version: 1, previous_version: 0, actor: 'a', time: 't' },
      ]);
    const service = setup({
      getModel: vi.fn().mockResolvedValue({ value: model(), revision: 1 }),
      listAliasChanges,
    });
    expect(await service.history('m', 'production')).toHaveLength(1);
    await service.history('m', '');
    expect(listAliasChanges.mock.calls).toEqual([
      ['m', 'production'],
      ['m', ''],
    ]);
    const missing = setup({ getModel: vi.fn().mockResolvedValue(null) });
    await expect(missing.history('ghost', '')).rejects.toBeInstanceOf(NotFoundError);
  });
});
