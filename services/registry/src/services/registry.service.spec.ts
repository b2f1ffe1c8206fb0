import { loadConfig } from '@aimass/config';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@aimass/errors';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { strictMock } from '@aimass/testing/strict-mock';
import type { ArtifactUpload } from '@aimass/storage';
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { journalOver } from '../../test/journal-fixture.js';
import { EMPTY_LINEAGE, type ModelRecord, type VersionRecord } from '../records/records.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { AliasService } from './alias.service.js';
import { ModelCatalogService } from './model-catalog.service.js';
import { RegistryService, type PushPart } from './registry.service.js';

const onnx = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 3, hidden: [], outputDim: 2, seed: 3, activation: 'relu' }),
  ),
);
const sha = createHash('sha256').update(onnx).digest('hex');

function model(overrides: Partial<ModelRecord> = {}): ModelRecord {
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
    ...overrides,
  };
}

function version(n: number, overrides: Partial<VersionRecord> = {}): VersionRecord {
  return {
    model: 'm',
    version: n,
    state: 'READY',
    format: 'onnx',
    size_bytes: onnx.length,
    sha256: sha,
    artifact_key: `k${n}`,
    signature: { inputs: [], outputs: [] },
    created_at: 't',
    tags: {},
    lineage: EMPTY_LINEAGE,
    ...overrides,
  };
}

async function* parts(...messages: PushPart[]): AsyncIterable<PushPart> {
  yield* messages;
}

/** An upload double that records bytes and completes with their real digest. */
function fakeUpload() {
  const chunks: Buffer[] = [];
  const upload = {
    key: 'models/m/artifacts/u1',
    get bytesWritten() {
      return chunks.reduce((n, c) => n + c.length, 0);
    },
    write: vi.fn(async (c: Uint8Array) => {
      chunks.push(Buffer.from(c));
    }),
    complete: vi.fn(async () => ({
      size: Buffer.concat(chunks).length,
      sha256: createHash('sha256').update(Buffer.concat(chunks)).digest('hex'),
    })),
    abort: vi.fn(async () => undefined),
  };
  return upload;
}

type Mocks = { metadata?: Partial<ModelMetadataRepository>; artifacts?: Partial<ArtifactRepository> };

/** The services over mocked KV and S3; announcements are really prepared, and `published` records what was sent. */
function wire(mocks: Mocks, env: NodeJS.ProcessEnv = {}) {
  const config = loadConfig(env);
  const { repo: metadata, journal, published } = journalOver(mocks.metadata ?? {});
  const catalog = new ModelCatalogService(metadata, journal, config);
  const aliases = new AliasService(metadata, catalog, journal);
  const registry = new RegistryService(
    metadata,
    strictMock<ArtifactRepository>(mocks.artifacts ?? {}, 'ArtifactRepository'),
    catalog,
    aliases,
    journal,
    config,
  );
  return { registry, catalog, aliases, published };
}

function setup(mocks: Mocks, env: NodeJS.ProcessEnv = {}) {
  return wire(mocks, env).registry;
}

describe('RegistryService.pushVersion', () => {
  it('stores the bytes, then commits the next version number with its announcements, then publishes them', async () => {
    const upload = fakeUpload();
    const order: string[] = [];
    const createVersion = vi.fn(async (_record: VersionRecord) => {
      order.push('kv');
      return 12;
    });
    upload.complete.mockImplementation(async () => {
      order.push('s3');
      return { size: onnx.length, sha256: sha };
    });
    const { registry: service, published } = wire({
      metadata: {
        getModel: vi
          .fn()
          .mockResolvedValueOnce({ value: model({ latest_version: 4 }), revision: 9 })
          .mockResolvedValue({ value: model({ latest_version: 4 }), revision: 9 }),
        createVersion,
        updateModel: vi.fn().mockResolvedValue(10),
      },
      artifacts: {
        keyFor: vi.fn().mockReturnValue('models/m/artifacts/u1'),
        beginUpload: vi.fn().mockReturnValue(upload as unknown as ArtifactUpload),
      },
    });
    published.mockImplementation(async (p) => void order.push(p.envelope.type));
    const result = await service.pushVersion(
      parts(
        { header: { model: 'm', sha256: sha } },
        { chunk: onnx.subarray(0, 10) },
        { chunk: onnx.subarray(10) },
      ),
      'alice',
    );
    expect(result.version).toBe(5);
    expect(result.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 3] }]);
    expect(result).not.toHaveProperty('outbox');
    expect(order).toEqual(['s3', 'kv', 'registry.version.created', 'audit.record']);
    expect(createVersion.mock.calls[0]![0].outbox!.map((p) => p.envelope)).toMatchObject([
      {
        type: 'registry.version.created',
        subject: 'models/m/versions/5',
        data: { model: 'm', version: 5, sha256: sha, artifact_key: 'models/m/artifacts/u1' },
      },
      {
        type: 'audit.record',
        data: { actor: 'alice', action: 'version.create', resource: 'models/m/versions/5' },
      },
    ]);
    expect(upload.abort).not.toHaveBeenCalled();
  });

  it('takes the next free number when another push won the race', async () => {
    const upload = fakeUpload();
    const createVersion = vi.fn().mockResolvedValueOnce(0).mockResolvedValueOnce(0).mockResolvedValueOnce(3);
    const service = setup({
      metadata: {
        getModel: vi.fn().mockResolvedValue({ value: model({ latest_version: 1 }), revision: 1 }),
        createVersion,
        updateModel: vi.fn().mockResolvedValue(10),
      },
      artifacts: {
        keyFor: vi.fn().mockReturnValue('k'),
        beginUpload: vi.fn().mockReturnValue(upload as unknown as ArtifactUpload),
      },
    });
    const result = await service.pushVersion(parts({ header: { model: 'm' } }, { chunk: onnx }), 'bob');
    expect(createVersion.mock.calls.map((c) => (c[0] as VersionRecord).version)).toEqual([2, 3, 4]);
    expect(result.version).toBe(4);
  });

  it.each([
    ['no header', [{ chunk: onnx }], 'first PushVersion message must carry a header'],
    ['a bad model name', [{ header: { model: '../x' } }, { chunk: onnx }], 'path separator'],
    ['a second header', [{ header: { model: 'm' } }, { header: { model: 'm' } }], 'only the first'],
    ['no bytes', [{ header: { model: 'm' } }], 'artifact is empty'],
    [
      'a size that does not match',
      [{ header: { model: 'm', size_bytes: onnx.length + 1 } }, { chunk: onnx }],
      `announced ${onnx.length + 1} bytes`,
    ],
    [
      'a digest that does not match',
      [{ header: { model: 'm', sha256: 'a'.repeat(64) } }, { chunk: onnx }],
      'SHA-256 mismatch',
    ],
    [
      'bytes that are not a model',
      [{ header: { model: 'm' } }, { chunk: Buffer.from('hello world') }],
      'not an ONNX model',
    ],
    [
      'a tfjs artifact that is not a tar',
      [{ header: { model: 'm', format: 'tfjs' } }, { chunk: onnx }],
      'not a readable tar',
    ],
    [
      'an unknown format',
      [{ header: { model: 'm', format: 'pickle' } }, { chunk: onnx }],
      "format must be 'onnx', 'onnx-external' (a tar of one graph and its external-data files) or 'tfjs'",
    ],
  ] as [string, PushPart[], string][])(
    'refuses a push with %s, stores nothing and commits nothing',
    async (_what, messages, expected) => {
      const upload = fakeUpload();
      const service = setup({
        artifacts: {
          keyFor: vi.fn().mockReturnValue('k'),
          beginUpload: vi.fn().mockReturnValue(upload as unknown as ArtifactUpload),
        },
      });
      const err = await service.pushVersion(parts(...messages), 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(expected);
    },
  );

  it('refuses an artifact over the size limit as RESOURCE_EXHAUSTED, naming the limit, and removes what was stored', async () => {
    const upload = fakeUpload();
    const service = setup(
      {
        artifacts: {
          keyFor: vi.fn().mockReturnValue('k'),
          beginUpload: vi.fn().mockReturnValue(upload as unknown as ArtifactUpload),
        },
      },
      { AIMASS_MAX_ARTIFACT_BYTES: '100' },
    );
    const err = await service
      .pushVersion(
        parts({ header: { model: 'm' } }, { chunk: onnx.subarray(0, 60) }, { chunk: onnx.subarray(60, 120) }),
        'x',
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceExhaustedError);
    expect((err as Error).message).toContain('limit of 100 bytes (AIMASS_MAX_ARTIFACT_BYTES)');
    expect(upload.abort).toHaveBeenCalledOnce();
  });

  it('refuses an announced oversize artifact before storing a byte', async () => {
    const service = setup({}, { AIMASS_MAX_ARTIFACT_BYTES: '100' });
    await expect(
      service.pushVersion(parts({ header: { model: 'm', size_bytes: 101 } }), 'x'),
    ).rejects.toThrow(ResourceExhaustedError);
  });
});

describe('RegistryService.getVersion', () => {
  const withAliases = model({ latest_version: 3, aliases: { production: 2, champion: 3 } });

  it.each([
    ['', 2],
    ['3', 3],
    ['champion', 3],
  ])('resolves %j to version %i', async (selector, expected) => {
    const getVersion = vi.fn(async (_m: string, n: number) => version(n));
    const service = setup({
      metadata: { getModel: vi.fn().mockResolvedValue({ value: withAliases, revision: 1 }), getVersion },
    });
    const v = await service.getVersion('m', selector);
    expect(v.version).toBe(expected);
    expect(getVersion).toHaveBeenCalledWith('m', expected);
  });

  it('falls back to the latest version without a production alias', async () => {
    const service = setup({
      metadata: {
        getModel: vi.fn().mockResolvedValue({ value: model({ latest_version: 7 }), revision: 1 }),
        getVersion: vi.fn(async (_m: string, n: number) => version(n)),
      },
    });
    expect((await service.getVersion('m', '')).version).toBe(7);
  });

  it('lists the aliases when an alias is unknown', async () => {
    const service = setup({
      metadata: { getModel: vi.fn().mockResolvedValue({ value: withAliases, revision: 1 }) },
    });
    await expect(service.getVersion('m', 'staging')).rejects.toThrow('its aliases are production, champion');
  });

  it('says a model does not exist', async () => {
    const service = setup({ metadata: { getModel: vi.fn().mockResolvedValue(null) } });
    await expect(service.getVersion('ghost', '')).rejects.toThrow(NotFoundError);
  });
});

describe('RegistryService.setAlias', () => {
  it('moves an alias with compare-and-set and announces the move', async () => {
    const updateModel = vi.fn().mockResolvedValueOnce(0).mockResolvedValueOnce(5);
    const createRow = vi.fn().mockResolvedValue(undefined);
    const { aliases, published } = wire({
      metadata: {
        getVersion: vi.fn().mockResolvedValue(version(2)),
        getModel: vi.fn().mockResolvedValue({
          value: model({ latest_version: 2, aliases: { production: 1 } }),
          revision: 4,
        }),
        updateModel,
        createRow,
      },
    });
    const moved = await aliases.setAlias('m', 'production', 2, 'carol');
    expect(moved).toEqual({ model: 'm', alias: 'production', version: 2, previous_version: 1 });
    expect(updateModel).toHaveBeenCalledTimes(2);
    expect(published.mock.calls.map(([p]) => [p.envelope.type, p.envelope.data])).toEqual([
      ['registry.alias.moved', moved],
      ['audit.record', expect.objectContaining({ actor: 'carol', action: 'alias.set' })],
    ]);
    // The history row is named by the revision the winning compare-and-set was made on.
    expect(createRow).toHaveBeenCalledExactlyOnceWith({
      key: 'aliaslog.m.production.4.on',
      value: expect.objectContaining({ ...moved, actor: 'carol' }),
    });
  });

  it('refuses an alias on an archived version', async () => {
    const { aliases } = wire({
      metadata: { getVersion: vi.fn().mockResolvedValue(version(2, { state: 'ARCHIVED' })) },
    });
    await expect(aliases.setAlias('m', 'production', 2, 'x')).rejects.toThrow(FailedPreconditionError);
  });

  it.each([['Prod'], ['1st'], [''], ['a/b']])('refuses the alias name %j', async (alias) => {
    await expect(wire({}).aliases.setAlias('m', alias, 1, 'x')).rejects.toThrow(InvalidArgumentError);
  });
});
