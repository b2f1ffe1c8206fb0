import { loadConfig } from '@aimass/config';
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
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

describe("RegistryService.pushVersion of a training job's version", () => {
  const jobHeader = { header: { model: 'm', lineage: { source_job_id: 'job-1' } } };
  const artifacts = (
    upload: ReturnType<typeof fakeUpload>,
    remove = vi.fn().mockResolvedValue(undefined),
  ) => ({
    keyFor: vi.fn().mockReturnValue('models/m/artifacts/u1'),
    beginUpload: vi.fn().mockReturnValue(upload as unknown as ArtifactUpload),
    remove,
  });

  it('claims the job before the commit and records the version it committed', async () => {
    const createJobClaim = vi.fn().mockResolvedValue(7);
    const updateJobClaim = vi.fn().mockResolvedValue(8);
    const service = setup({
      metadata: {
        getJobClaim: vi.fn().mockResolvedValue(null),
        createJobClaim,
        updateJobClaim,
        getModel: vi.fn().mockResolvedValue({ value: model({ latest_version: 2 }), revision: 1 }),
        createVersion: vi.fn().mockResolvedValue(5),
        updateModel: vi.fn().mockResolvedValue(10),
      },
      artifacts: artifacts(fakeUpload()),
    });
    const result = await service.pushVersion(parts(jobHeader, { chunk: onnx }), 'trainer');
    expect(result.version).toBe(3);
    expect(createJobClaim).toHaveBeenCalledWith(
      'm',
      expect.objectContaining({ job_id: 'job-1', version: 0 }),
    );
    expect(updateJobClaim).toHaveBeenCalledWith(
      'm',
      expect.objectContaining({ job_id: 'job-1', version: 3 }),
      7,
    );
  });

  it('returns the version the job registered before, commits nothing and removes the bytes it was sent', async () => {
    const createVersion = vi.fn();
    const remove = vi.fn().mockResolvedValue(undefined);
    const service = setup({
      metadata: {
        getJobClaim: vi
          .fn()
          .mockResolvedValue({ value: { job_id: 'job-1', version: 2, claimed_at: 't' }, revision: 4 }),
        getVersion: vi
          .fn()
          .mockResolvedValue(version(2, { lineage: { ...EMPTY_LINEAGE, source_job_id: 'job-1' } })),
        getModel: vi.fn().mockResolvedValue({
          value: model({ latest_version: 2, aliases: { production: 2 } }),
          revision: 1,
        }),
        createVersion,
      },
      artifacts: artifacts(fakeUpload(), remove),
    });
    const result = await service.pushVersion(parts(jobHeader, { chunk: onnx }), 'trainer');
    expect(result).toMatchObject({ version: 2, aliases: ['production'] });
    expect(createVersion).not.toHaveBeenCalled();
    expect(remove).toHaveBeenCalledWith('models/m/artifacts/u1');
  });

  it('refuses with ABORTED, naming the job, while another push of the job holds the claim, and removes the bytes', async () => {
    const remove = vi.fn().mockResolvedValue(undefined);
    const service = setup({
      metadata: {
        getJobClaim: vi.fn().mockResolvedValue({
          value: { job_id: 'job-1', version: 0, claimed_at: new Date().toISOString() },
          revision: 4,
        }),
      },
      artifacts: artifacts(fakeUpload(), remove),
    });
    const err = await service
      .pushVersion(parts(jobHeader, { chunk: onnx }), 'trainer')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toContain('job job-1 is registering a version of "m"');
    expect(remove).toHaveBeenCalledWith('models/m/artifacts/u1');
  });

  it('takes over a stale claim: the version the job committed before its push stopped is returned, not a second one', async () => {
    const createVersion = vi.fn();
    const updateJobClaim = vi.fn().mockResolvedValue(9);
    const committed = version(4, { lineage: { ...EMPTY_LINEAGE, source_job_id: 'job-1' } });
    const service = setup({
      metadata: {
        getJobClaim: vi.fn().mockResolvedValue({
          value: { job_id: 'job-1', version: 0, claimed_at: '2026-01-01T00:00:00Z' },
          revision: 4,
        }),
        listVersions: vi.fn().mockResolvedValue([version(3), committed]),
        updateJobClaim,
        getModel: vi.fn().mockResolvedValue({ value: model({ latest_version: 4 }), revision: 1 }),
        createVersion,
      },
      artifacts: artifacts(fakeUpload()),
    });
    const result = await service.pushVersion(parts(jobHeader, { chunk: onnx }), 'trainer');
    expect(result.version).toBe(4);
    expect(createVersion).not.toHaveBeenCalled();
    expect(updateJobClaim).toHaveBeenCalledWith('m', expect.objectContaining({ version: 4 }), 4);
  });

  it('gives the claim up when the commit fails, so a retry can register the version', async () => {
    const removeJobClaim = vi.fn().mockResolvedValue(undefined);
    const service = setup({
      metadata: {
        getJobClaim: vi.fn().mockResolvedValue(null),
        createJobClaim: vi.fn().mockResolvedValue(7),
        getModel: vi.fn().mockRejectedValue(new UnavailableError('NATS KV is down')),
        listVersions: vi.fn().mockResolvedValue([version(1)]),
        removeJobClaim,
      },
      artifacts: artifacts(fakeUpload()),
    });
    await expect(service.pushVersion(parts(jobHeader, { chunk: onnx }), 'trainer')).rejects.toThrow(
      'NATS KV is down',
    );
    expect(removeJobClaim).toHaveBeenCalledWith('m', 'job-1', 7);
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
