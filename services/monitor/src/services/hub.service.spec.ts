import { parseGrant, type Principal } from '@aimass/auth';
import type { oip, registryv1 } from '@aimass/contracts';
import { InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { strictMock } from '@aimass/testing/strict-mock';
import { describe, expect, it, vi } from 'vitest';
import { NO_COUNTS, type HubCounts } from '../hub/hub-records.js';
import { HubStoreRepository } from '../repositories/hub-store.repository.js';
import { InferenceClientRepository } from '../repositories/inference-client.repository.js';
import { RegistryCatalogRepository } from '../repositories/registry-catalog.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';
import { HubService, type Viewer } from './hub.service.js';

const model = (name: string, over: Partial<registryv1.Model__Output> = {}): registryv1.Model__Output => ({
  name,
  description: '',
  tags: {},
  latest_version: 1,
  aliases: {},
  created_at: '',
  updated_at: '',
  owner: 'alice',
  framework: '',
  model_card: '',
  ...over,
});
const OPEN: Viewer = { principal: undefined, authenticated: false };
const bob: Principal = { subject: 'bob', grants: [parseGrant('models:read')] };

function setup(
  registry: Partial<RegistryCatalogRepository>,
  store: Partial<HubStoreRepository> = {},
  inference: Partial<InferenceClientRepository> = {},
  updates: Partial<ConsoleUpdatesService> = {},
) {
  return new HubService(
    strictMock<RegistryCatalogRepository>(registry, 'RegistryCatalogRepository'),
    strictMock<HubStoreRepository>(store, 'HubStoreRepository'),
    strictMock<InferenceClientRepository>(inference, 'InferenceClientRepository'),
    strictMock<ConsoleUpdatesService>(updates, 'ConsoleUpdatesService'),
  );
}

/** A store whose counts change as updateCounts is asked to change them. */
function countsStore(initial: HubCounts = NO_COUNTS) {
  let counts = initial;
  return {
    updateCounts: vi.fn(async (_m: string, change: (c: HubCounts) => HubCounts) => (counts = change(counts))),
    current: () => counts,
  };
}

describe('HubService', () => {
  it('searches by card license and tags, most starred first, hiding what the viewer may not see', async () => {
    const listModels = vi
      .fn()
      .mockResolvedValue([
        model('a', { model_card: '---\nlicense: MIT\ntags: [x]\n---\n' }),
        model('b', { model_card: '---\nlicense: MIT\ntags: [x]\n---\n' }),
        model('c', { model_card: '---\nlicense: Apache-2.0\ntags: [x]\n---\n' }),
        model('d', { model_card: '---\nlicense: MIT\n---\n', tags: { 'hub.visibility': 'private' } }),
      ]);
    const allCounts = vi.fn().mockResolvedValue(new Map([['b', { starred_by: ['z'], downloads: { 1: 3 } }]]));
    const found = await setup({ listModels }, { allCounts }).search(
      { license: 'mit' },
      { principal: bob, authenticated: true },
    );
    expect(found.models.map((m) => [m.name, m.stars, m.downloads])).toEqual([
      ['b', 1, 3],
      ['a', 0, 0],
    ]);
  });

  it('refuses a bad query naming the field', async () => {
    await expect(setup({}).search({ q: 'x'.repeat(201) }, OPEN)).rejects.toThrow(/q is at most 200/);
  });

  it('stars once per person and takes a star back', async () => {
    const store = countsStore();
    const getModel = vi.fn().mockResolvedValue(model('m'));
    const hub = setup({ getModel }, store);
    const viewer = { principal: bob, authenticated: true };
    expect(await hub.star({ model: 'm', by: 'ignored' }, viewer)).toEqual({
      model: 'm',
      stars: 1,
      starred: true,
    });
    expect(await hub.star({ model: 'm' }, viewer)).toEqual({ model: 'm', stars: 1, starred: true });
    expect(await hub.star({ model: 'm', by: 'carol' }, OPEN)).toMatchObject({ stars: 2 });
    expect(store.current().starred_by).toEqual(['bob', 'carol']);
    expect(await hub.star({ model: 'm', starred: false }, viewer)).toMatchObject({
      stars: 1,
      starred: false,
    });
  });

  it('answers NOT_FOUND for a model the viewer may not see, as for one that does not exist', async () => {
    const getModel = vi.fn().mockResolvedValue(model('m', { tags: { 'hub.visibility': 'team' } }));
    await expect(
      setup({ getModel }).post({ model: 'm', text: 'hi' }, { principal: undefined, authenticated: true }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('tells open consoles of stored posts and count changes of public models, rendered', async () => {
    let handlers: Parameters<HubStoreRepository['follow']>[0] | undefined;
    const follow = vi.fn(async (h: typeof handlers) => void (handlers = h));
    const post = vi.fn();
    const hubCounts = vi.fn();
    const getModel = vi.fn(async (name: string) =>
      model(name, { tags: name === 'secret' ? { 'hub.visibility': 'team' } : {} }),
    );
    setup({ getModel }, { follow }, {}, { post, hubCounts }).onModuleInit();
    await vi.waitFor(() => expect(handlers).toBeDefined());
    handlers!.post({ id: '1', model: 'm', author: 'a', time: '', text: '<b>x</b>' });
    await vi.waitFor(() =>
      expect(post).toHaveBeenCalledWith(expect.objectContaining({ html: '<p>&lt;b&gt;x&lt;/b&gt;</p>\n' })),
    );
    handlers!.counts('m', { starred_by: ['a', 'b'], downloads: { 1: 2, 2: 1 } });
    await vi.waitFor(() =>
      expect(hubCounts).toHaveBeenCalledWith({
        model: 'm',
        stars: 2,
        downloads: 3,
        version_downloads: { 1: 2, 2: 1 },
      }),
    );
    // A team model's changes stay off the feed, which every console reads.
    handlers!.post({ id: '2', model: 'secret', author: 'a', time: '', text: 'plans' });
    handlers!.counts('secret', { starred_by: ['a'], downloads: {} });
    await vi.waitFor(() => expect(getModel).toHaveBeenCalledTimes(4));
    await new Promise((r) => setTimeout(r, 10));
    expect(post).toHaveBeenCalledTimes(1);
    expect(hubCounts).toHaveBeenCalledTimes(1);
  });

  it('stores a post under the token subject and renders it safely', async () => {
    const addPost = vi.fn().mockResolvedValue(undefined);
    const hub = setup({ getModel: vi.fn().mockResolvedValue(model('m')) }, { addPost });
    const view = await hub.post(
      { model: 'm', text: '*hi* <script>x</script>', by: 'mallory' },
      { principal: bob, authenticated: true },
    );
    expect(view).toMatchObject({ model: 'm', author: 'bob', text: '*hi* <script>x</script>' });
    expect(view.html).toBe('<p><em>hi</em> &lt;script&gt;x&lt;/script&gt;</p>\n');
    expect(view.id).toMatch(/^[0-9a-z]{9}-[0-9a-f]{8}$/);
    expect(addPost).toHaveBeenCalledWith(expect.objectContaining({ id: view.id, author: 'bob' }));
    const anonymous = await hub.post({ model: 'm', text: 'x' }, OPEN);
    expect(anonymous.author).toBe('anonymous');
  });

  it('counts a download only once every chunk has been read', async () => {
    const store = countsStore();
    async function* chunks() {
      yield { version: null, chunk: Buffer.from('ab') };
      yield { version: null, chunk: Buffer.from('c') };
    }
    const hub = setup(
      {
        getModel: vi.fn().mockResolvedValue(model('m')),
        getVersion: vi
          .fn()
          .mockResolvedValue({ version: 2, format: 'onnx', size_bytes: '3', sha256: 'f'.repeat(64) }),
        downloadVersion: vi.fn().mockReturnValue(chunks()),
      },
      store,
    );
    const download = await hub.download({ model: 'm', version: '2' }, OPEN);
    expect(download).toMatchObject({ filename: 'm-v2.onnx', size_bytes: 3 });
    const iterator = download.chunks[Symbol.asyncIterator]();
    await iterator.next();
    expect(store.updateCounts).not.toHaveBeenCalled();
    const received: Buffer[] = [];
    for await (const c of { [Symbol.asyncIterator]: () => iterator }) received.push(c);
    expect(Buffer.concat(received).toString()).toBe('c');
    expect(store.current().downloads).toEqual({ 2: 1 });
  });

  it('tries a model with the typed contents of each input and the caller token, decoding raw outputs', async () => {
    const raw = Buffer.from(new Float32Array([0.5, -2]).buffer);
    const modelInfer = vi.fn().mockResolvedValue({
      model_name: 'm',
      model_version: '1',
      outputs: [{ name: 'y', datatype: 'FP32', shape: ['1', '2'] }],
      raw_output_contents: [raw],
    } as unknown as oip.ModelInferResponse__Output);
    const hub = setup({ getModel: vi.fn().mockResolvedValue(model('m')) }, {}, { modelInfer });
    const result = await hub.tryIt(
      { model: 'm', version: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, '2'] }] },
      OPEN,
      'Bearer t',
    );
    expect(modelInfer).toHaveBeenCalledWith(
      {
        model_name: 'm',
        model_version: '1',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
      },
      'Bearer t',
    );
    expect(result.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [0.5, -2] }]);
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a data length that does not fit the shape',
      { shape: [2, 2], data: [1, 2, 3] },
      /holds 4 values but data has 3/,
    ],
    ['a value that is not a number', { data: ['one', 2] }, /"one" is not a FP32 number/],
    ['a negative dimension', { shape: [-1, 2] }, /dimensions are at least 0/],
    ['an unknown datatype', { datatype: 'FP99' }, /datatype/],
  ])('refuses %s before calling inference', async (_what, change, message) => {
    const hub = setup({ getModel: vi.fn().mockResolvedValue(model('m')) });
    const input = { name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2], ...(change as object) };
    const attempt = hub.tryIt({ model: 'm', inputs: [input] }, OPEN, undefined);
    await expect(attempt).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(attempt).rejects.toThrow(message);
  });
});
