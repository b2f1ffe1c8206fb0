import { loadConfig } from '@aimass/config';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { describe, expect, it, vi } from 'vitest';
import { journalOver } from '../../test/journal-fixture.js';
import type { ModelRecord } from '../records/records.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { ModelCatalogService } from './model-catalog.service.js';

function model(name: string, overrides: Partial<ModelRecord> = {}): ModelRecord {
  return {
    name,
    description: '',
    tags: {},
    owner: '',
    framework: '',
    model_card: '',
    created_at: 't0',
    updated_at: 't0',
    latest_version: 0,
    aliases: {},
    ...overrides,
  };
}

/** The catalog over mocked KV; `published` records what was announced. */
function setup(metadata: Partial<ModelMetadataRepository>, env: NodeJS.ProcessEnv = {}) {
  const { repo, journal, published } = journalOver(metadata);
  return Object.assign(new ModelCatalogService(repo, journal, loadConfig(env)), { published });
}

describe('ModelCatalogService.createModel', () => {
  it('creates the record with KV create, announces it and audits it; the owner defaults to the actor', async () => {
    const createModel = vi.fn().mockResolvedValue(1);
    const catalog = setup({ getModel: vi.fn().mockResolvedValue(null), createModel });
    const created = await catalog.createModel(
      {
        name: 'fraud',
        description: 'scores',
        tags: { team: 'risk', 'monitor.detector': 'fraud-gmm@production' },
        framework: 'onnx',
        model_card: '# Fraud',
      },
      'alice',
    );
    expect(created).toMatchObject({
      name: 'fraud',
      description: 'scores',
      tags: { team: 'risk', 'monitor.detector': 'fraud-gmm@production' },
      owner: 'alice',
      framework: 'onnx',
      model_card: '# Fraud',
      latest_version: 0,
      aliases: {},
    });
    expect(created).not.toHaveProperty('outbox');
    const sent = catalog.published.mock.calls.map(([p]) => p.envelope);
    expect(createModel).toHaveBeenCalledWith({
      ...created,
      outbox: sent.map((envelope) => ({ subject: expect.any(String), envelope })),
    });
    expect(sent).toMatchObject([
      { type: 'registry.model.created', data: { model: 'fraud', description: 'scores' } },
      {
        type: 'audit.record',
        data: { actor: 'alice', action: 'model.create', resource: 'models/fraud', details: {} },
      },
    ]);
  });

  it('refuses a name that exists with FAILED_PRECONDITION, writing nothing', async () => {
    const catalog = setup({ getModel: vi.fn().mockResolvedValue({ value: model('fraud'), revision: 3 }) });
    await expect(catalog.createModel({ name: 'fraud' }, 'alice')).rejects.toThrow(
      new FailedPreconditionError('model "fraud" already exists; change it with UpdateModel'),
    );
  });

  it('treats losing the create race as "exists"', async () => {
    const getModel = vi
      .fn()
      .mockResolvedValueOnce(null)
      .mockResolvedValueOnce({ value: model('fraud'), revision: 1 });
    const catalog = setup({ getModel, createModel: vi.fn().mockResolvedValue(0) });
    await expect(catalog.createModel({ name: 'fraud' }, 'bob')).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
  });

  it.each<[string, unknown, RegExp]>([
    ['an empty name', { name: '' }, /model name/],
    ['a name with a slash', { name: 'a/b' }, /model name/],
    ['a parent path', { name: '../x' }, /model name/],
    ['300 characters', { name: 'x'.repeat(300) }, /model name/],
    ['a control character', { name: 'a\u0001b' }, /model name/],
    ['a tag value that is not a string', { name: 'ok', tags: { a: 1 } }, /tags/],
    ...[
      'fraud-gmm',
      'fraud-gmm@',
      '@production',
      'fraud-gmm@Production',
      'fraud-gmm@0',
      'fraud gmm@1',
      'a@b@c d',
    ].map((value): [string, unknown, RegExp] => [
      `a monitor.detector tag "${value}"`,
      { name: 'ok', tags: { 'monitor.detector': value } },
      /monitor\.detector.*<model>@<version or alias>/,
    ]),
  ])('refuses %s with INVALID_ARGUMENT before touching KV', async (_what, input, message) => {
    const catalog = setup({});
    const err = await catalog.createModel(input, 'alice').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('ModelCatalogService.updateModel', () => {
  it('changes only the masked fields with a CAS, retrying once on a lost race', async () => {
    const current = model('fraud', { description: 'old', owner: 'risk', tags: { a: '1' } });
    const getModel = vi
      .fn()
      .mockResolvedValueOnce({ value: current, revision: 4 })
      .mockResolvedValueOnce({ value: current, revision: 5 });
    const updateModel = vi.fn().mockResolvedValueOnce(0).mockResolvedValueOnce(6);
    const catalog = setup({ getModel, updateModel });
    const next = await catalog.updateModel(
      {
        name: 'fraud',
        update_mask: ['description', 'model_card'],
        description: 'new',
        owner: 'ignored',
        model_card: '# card',
      },
      'carol',
    );
    expect(next).toMatchObject({ description: 'new', owner: 'risk', tags: { a: '1' }, model_card: '# card' });
    expect(updateModel).toHaveBeenCalledTimes(2);
    expect(updateModel.mock.calls[1]![1]).toBe(5);
    expect(catalog.published.mock.calls.map(([p]) => p.envelope)).toMatchObject([
      {
        type: 'registry.model.updated',
        data: {
          model: 'fraud',
          fields: ['description', 'model_card'],
          changes: { description: 'new', model_card: '6 characters' },
        },
      },
      {
        type: 'audit.record',
        data: { actor: 'carol', action: 'model.update', details: { fields: ['description', 'model_card'] } },
      },
    ]);
  });

  it('answers NOT_FOUND for a model that does not exist', async () => {
    const catalog = setup({ getModel: vi.fn().mockResolvedValue(null) });
    await expect(
      catalog.updateModel({ name: 'ghost', update_mask: ['description'], description: 'x' }, 'a'),
    ).rejects.toThrow(new NotFoundError('model "ghost" does not exist'));
  });
});

describe('ModelCatalogService.listModels', () => {
  it('pages with the default size and refuses a page over the limit, naming the setting', async () => {
    const listModels = vi.fn().mockResolvedValue(['c', 'a', 'b'].map((n) => model(n)));
    const catalog = setup(
      { listModels },
      { AIMASS_REGISTRY_DEFAULT_PAGE_SIZE: '2', AIMASS_REGISTRY_MAX_PAGE_SIZE: '10' },
    );
    const page = await catalog.listModels({});
    expect(page.models.map((m) => m.name)).toEqual(['a', 'b']);
    expect(page.total_size).toBe(3);
    expect(page.next_page_token).not.toBe('');
    await expect(catalog.listModels({ page_size: 11 })).rejects.toThrow(
      /page_size 11 is over the limit of 10 \(AIMASS_REGISTRY_MAX_PAGE_SIZE\)/,
    );
  });
});
