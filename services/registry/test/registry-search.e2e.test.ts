import type { registryv1 } from '@aimass/contracts';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startRegistry, unary, type RegistryUnderTest } from './registry-harness.js';

// Search and pagination over 240 models in a real registry.

const COUNT = 240;
const teams = ['fraud', 'growth', 'risk'];
const frameworks = ['pytorch', 'sklearn'];
const owners = ['alice', 'bob', 'carol', 'dave'];
const name = (i: number) => `m-${String(i).padStart(3, '0')}`;
const spec = (i: number) => ({
  name: name(i),
  tags: { team: teams[i % 3]!, tier: i % 5 === 0 ? 'gold' : 'std' },
  framework: frameworks[i % 2]!,
  owner: owners[i % 4]!,
});

let t: RegistryUnderTest;
const list = (req: registryv1.ListModelsRequest) =>
  unary<registryv1.ListModelsResponse__Output>((cb) => t.client.ListModels(req, cb));

/** Every page of a query, asserting each page is at most `pageSize` long. */
async function allPages(
  req: registryv1.ListModelsRequest,
  pageSize: number,
): Promise<{ names: string[]; pages: number; total: number }> {
  const names: string[] = [];
  let token = '';
  let pages = 0;
  let total = -1;
  do {
    const page = await list({ ...req, page_size: pageSize, page_token: token });
    expect(page.models.length).toBeLessThanOrEqual(pageSize);
    names.push(...page.models.map((m) => m.name));
    total = page.total_size;
    token = page.next_page_token;
    pages++;
  } while (token);
  return { names, pages, total };
}

beforeAll(async () => {
  t = await startRegistry();
  for (let batch = 0; batch < COUNT; batch += 24) {
    await Promise.all(
      Array.from({ length: 24 }, (_, j) => unary((cb) => t.client.CreateModel(spec(batch + j), cb))),
    );
  }
});
afterAll(async () => t?.stop());

describe('ListModels over 240 models', () => {
  const all = Array.from({ length: COUNT }, (_, i) => spec(i));

  it.each([
    ['no filter', {}, () => true],
    ['a name prefix', { name_prefix: 'm-1' }, (m: ReturnType<typeof spec>) => m.name.startsWith('m-1')],
    ['one tag', { tags: { team: 'risk' } }, (m: ReturnType<typeof spec>) => m.tags.team === 'risk'],
    [
      'two tags',
      { tags: { team: 'fraud', tier: 'gold' } },
      (m: ReturnType<typeof spec>) => m.tags.team === 'fraud' && m.tags.tier === 'gold',
    ],
    ['a framework', { framework: 'sklearn' }, (m: ReturnType<typeof spec>) => m.framework === 'sklearn'],
    [
      'an owner and a prefix',
      { owner: 'carol', name_prefix: 'm-0' },
      (m: ReturnType<typeof spec>) => m.owner === 'carol' && m.name.startsWith('m-0'),
    ],
    [
      'everything at once',
      { owner: 'alice', framework: 'pytorch', tags: { team: 'growth' } },
      (m: ReturnType<typeof spec>) =>
        m.owner === 'alice' && m.framework === 'pytorch' && m.tags.team === 'growth',
    ],
  ] as [string, registryv1.ListModelsRequest, (m: ReturnType<typeof spec>) => boolean][])(
    'pages through %s: every match once, in name order',
    async (_what, filter, keep) => {
      const expected = all
        .filter(keep)
        .map((m) => m.name)
        .sort();
      const { names, total, pages } = await allPages(filter, 17);
      expect(names).toEqual(expected);
      expect(total).toBe(expected.length);
      expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 17)));
    },
  );

  it('orders by name descending and by creation time, across pages', async () => {
    const descending = await allPages({ order_by: '-name' }, 50);
    expect(descending.names).toEqual(
      all
        .map((m) => m.name)
        .sort()
        .reverse(),
    );

    const byCreation = await allPages({ order_by: 'created_at' }, 23);
    const onePage = await list({ order_by: 'created_at', page_size: 1000 });
    expect(byCreation.names).toEqual(onePage.models.map((m) => m.name));
    const times = onePage.models.map((m) => m.created_at);
    expect([...times].sort()).toEqual(times);
    // Batches were created one after another, so the first batch comes first.
    expect(new Set(byCreation.names.slice(0, 24))).toEqual(new Set(all.slice(0, 24).map((m) => m.name)));
  });

  it('returns owner, framework and tags on each model', async () => {
    const page = await list({ name_prefix: 'm-007' });
    expect(page.models).toHaveLength(1);
    expect(page.models[0]).toMatchObject({
      name: 'm-007',
      owner: 'dave',
      framework: 'sklearn',
      tags: { team: 'growth', tier: 'std' },
    });
  });

  it.each([
    ['a token it did not issue', { page_token: 'garbage' }, 'not one this registry issued'],
    ['a token from another query', { framework: 'pytorch' }, 'issued for other filters'],
    ['an unknown order', { order_by: 'size' }, 'order_by must be one of name, created_at, updated_at'],
    ['a page over the limit', { page_size: 5000 }, 'over the limit of 1000 (AIMASS_REGISTRY_MAX_PAGE_SIZE)'],
  ] as [string, registryv1.ListModelsRequest, string][])(
    'refuses %s with INVALID_ARGUMENT',
    async (_what, req, reason) => {
      const first = await list({ page_size: 5 });
      const withToken =
        req.page_token === undefined && reason.includes('issued for')
          ? { ...req, page_token: first.next_page_token }
          : req;
      const err = await failure(list(withToken));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain(reason);
    },
  );

  it('updates a model and finds it under its new tags', async () => {
    const updated = await unary<registryv1.Model__Output>((cb) =>
      t.client.UpdateModel(
        {
          name: 'm-001',
          update_mask: ['tags', 'model_card'],
          tags: { team: 'platform' },
          model_card: '# m-001\nA test model.',
        },
        cb,
      ),
    );
    expect(updated).toMatchObject({
      tags: { team: 'platform' },
      model_card: '# m-001\nA test model.',
      owner: 'bob',
    });
    const found = await list({ tags: { team: 'platform' } });
    expect(found.models.map((m) => m.name)).toEqual(['m-001']);
    const err = await failure(
      unary((cb) => t.client.UpdateModel({ name: 'm-001', update_mask: ['latest_version'] }, cb)),
    );
    expect(err.code).toBe(status.INVALID_ARGUMENT);
  });
});
