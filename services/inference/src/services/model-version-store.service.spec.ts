import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '@aimass/errors';
import { ObjectIntegrityError } from '@aimass/storage';
import { strictMock } from '@aimass/testing/strict-mock';
import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { ModelInstance } from '../execution/model-instance.js';
import type { ServableVersion } from '../types.js';
import { ArtifactDownloadRepository } from '../repositories/artifact-download.repository.js';
import { AuditRepository } from '../repositories/audit.repository.js';
import { OrtRepository } from '../repositories/ort.repository.js';
import { RegistryRepository } from '../repositories/registry.repository.js';
import { TfjsRepository } from '../repositories/tfjs.repository.js';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import { ModelStatisticsService } from './model-statistics.service.js';
import { ModelVersionStore } from './model-version-store.service.js';

const bytes = Buffer.from('model bytes');
const digest = createHash('sha256').update(bytes).digest('hex');
const v1: ServableVersion = {
  model: 'm',
  version: 1,
  sha256: digest,
  artifact_key: 'k1',
  format: 'onnx',
  signature: { inputs: [], outputs: [] },
};
const instance = { close: vi.fn(), run: vi.fn().mockResolvedValue([]) } as unknown as ModelInstance;
const config = {
  inference: {
    summaryIntervalMs: 1000,
    instances: 1,
    execution: 'event-loop' as const,
    intraOpThreads: 1,
    scratchDir: '',
    maxBatchSize: 8,
    maxQueueDelayUs: 0,
    maxQueue: 16,
    memoryBudgetBytes: 1024,
    sketches: true,
    sketchRowsPerSecond: 200,
    sketchValuesPerSecond: 25_000,
    detectorSampleRate: 0.1,
    detectorQueueRows: 4096,
  },
};
const v2: ServableVersion = { ...v1, version: 2, artifact_key: 'k2' };

function setup(mocks: {
  registry?: Partial<RegistryRepository>;
  artifacts?: Partial<ArtifactDownloadRepository>;
  ort?: Partial<OrtRepository>;
  tfjs?: Partial<TfjsRepository>;
  audit?: Partial<AuditRepository>;
  metrics?: InferenceMetricsRepository;
  statistics?: ModelStatisticsService;
}) {
  return new ModelVersionStore(
    strictMock<RegistryRepository>(mocks.registry ?? {}, 'RegistryRepository'),
    strictMock<ArtifactDownloadRepository>(mocks.artifacts ?? {}, 'ArtifactDownloadRepository'),
    strictMock<OrtRepository>(mocks.ort ?? {}, 'OrtRepository'),
    strictMock<TfjsRepository>(mocks.tfjs ?? {}, 'TfjsRepository'),
    strictMock<AuditRepository>(mocks.audit ?? {}, 'AuditRepository'),
    mocks.metrics ?? new InferenceMetricsRepository(new Registry()),
    mocks.statistics ?? new ModelStatisticsService(),
    config,
  );
}

describe('ModelVersionStore', () => {
  it('loads a version once, however many requests arrive while it loads', async () => {
    const fetch = vi.fn().mockResolvedValue(bytes);
    const open = vi.fn().mockResolvedValue(instance);
    const store = setup({
      registry: { resolve: vi.fn().mockResolvedValue(v1) },
      artifacts: { fetch },
      ort: { open },
    });
    const loaded = await Promise.all([
      store.acquire('m', '1'),
      store.acquire('m', '1'),
      store.acquire('m', '1'),
    ]);
    expect(new Set(loaded).size).toBe(1);
    expect(fetch).toHaveBeenCalledOnce();
    expect(open).toHaveBeenCalledOnce();
  });

  it('refuses an artifact whose digest differs, audits it once, keeps refusing, and never opens it', async () => {
    const tampered = Buffer.from('tampered');
    const fetch = vi.fn().mockResolvedValue(tampered);
    const digestMismatch = vi.fn().mockResolvedValue(undefined);
    const store = setup({
      registry: { resolve: vi.fn().mockResolvedValue(v1) },
      artifacts: { fetch },
      audit: { digestMismatch },
    });
    for (let i = 0; i < 3; i++) {
      const err = await store.acquire('m', '1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FailedPreconditionError);
      expect((err as Error).message).toContain(`registry recorded ${digest}`);
    }
    expect(fetch).toHaveBeenCalledOnce();
    expect(digestMismatch).toHaveBeenCalledExactlyOnceWith({
      model: 'm',
      version: 1,
      artifactKey: 'k1',
      expectedSha256: digest,
      actualSha256: createHash('sha256').update(tampered).digest('hex'),
    });
  });

  it.each(['tampered', 'wrong-key'] as const)(
    'refuses an artifact that fails decryption (%s), audits it once, keeps refusing, and never opens it',
    async (reason) => {
      const failure = new ObjectIntegrityError(`object k1 failed (${reason})`, reason, 'k1');
      const fetch = vi.fn().mockRejectedValue(failure);
      const integrityFailure = vi.fn().mockResolvedValue(undefined);
      const store = setup({
        registry: { resolve: vi.fn().mockResolvedValue(v1) },
        artifacts: { fetch },
        audit: { integrityFailure },
      });
      for (let i = 0; i < 3; i++) {
        const err = await store.acquire('m', '1').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(FailedPreconditionError);
        expect((err as Error).message).toBe(`model "m" version 1 is refused: object k1 failed (${reason})`);
      }
      expect(fetch).toHaveBeenCalledOnce();
      expect(integrityFailure).toHaveBeenCalledExactlyOnceWith({
        model: 'm',
        version: 1,
        artifactKey: 'k1',
        reason,
        message: failure.message,
      });
    },
  );

  it('still refuses a tampered artifact when its audit record cannot be stored', async () => {
    const store = setup({
      registry: { resolve: vi.fn().mockResolvedValue(v1) },
      artifacts: { fetch: vi.fn().mockResolvedValue(Buffer.from('tampered')) },
      audit: { digestMismatch: vi.fn().mockRejectedValue(new UnavailableError('nats is down')) },
    });
    await expect(store.acquire('m', '1')).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('opens a tfjs version with tfjs, after the same digest check, and warms it up', async () => {
    const tf1: ServableVersion = {
      ...v1,
      format: 'tfjs',
      signature: {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
      },
    };
    const run = vi.fn().mockResolvedValue([]);
    const open = vi.fn().mockResolvedValue({ close: vi.fn(), run } as unknown as ModelInstance);
    const store = setup({
      registry: { resolve: vi.fn().mockResolvedValue(tf1) },
      artifacts: { fetch: vi.fn().mockResolvedValue(bytes) },
      tfjs: { open },
    });
    await expect(store.acquire('m', '1')).resolves.toMatchObject({ version: tf1 });
    expect(open).toHaveBeenCalledWith(bytes, 'model "m" version 1', tf1.signature);
    expect(run).toHaveBeenCalledWith(
      [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: new Float32Array(2) }],
      [],
    );

    const tampered = setup({
      registry: { resolve: vi.fn().mockResolvedValue(tf1) },
      artifacts: { fetch: vi.fn().mockResolvedValue(Buffer.from('tampered')) },
      audit: { digestMismatch: vi.fn().mockResolvedValue(undefined) },
    });
    await expect(tampered.acquire('m', '1')).rejects.toThrow(`registry recorded ${digest}`);
  });

  it('refuses a format it cannot serve without downloading it', async () => {
    const store = setup({ registry: { resolve: vi.fn().mockResolvedValue({ ...v1, format: 'pickle' }) } });
    const err = await store.acquire('m', '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe(
      'model "m" version 1 is in format "pickle", which inference cannot serve; it serves onnx, onnx-external, tfjs models',
    );
  });

  it.each([
    ['an in-memory onnx model pre-packs by default', 'onnx', undefined, true],
    ['an in-memory onnx model, tagged off, does not', 'onnx', 'false', false],
    ['a sharded model keeps its weights in the mapped shards by default', 'onnx-external', undefined, false],
    ['a sharded model, tagged on, pre-packs', 'onnx-external', 'true', true],
  ])(
    'opens onnxruntime sessions with pre-packing as the format and inference.prepack say: %s',
    async (_, format, tag, prepack) => {
      const open = vi.fn().mockResolvedValue(instance);
      const version = { ...v1, format, tags: tag === undefined ? {} : { 'inference.prepack': tag } };
      const remove = vi.fn().mockResolvedValue(undefined);
      const store = setup({
        registry: { resolve: vi.fn().mockResolvedValue(version) },
        artifacts: {
          fetch: vi.fn().mockResolvedValue(bytes),
          unpack: vi.fn().mockResolvedValue({
            dir: '/scratch/m1',
            files: ['model.onnx', 'w.bin'],
            sha256: digest,
            bytes: 11,
            remove,
          }),
        },
        ort: { open },
      });
      await store.acquire('m', '1');
      const model = format === 'onnx' ? bytes : '/scratch/m1/model.onnx';
      expect(open).toHaveBeenCalledWith(model, 'model "m" version 1', { prepack });
      expect(remove).toHaveBeenCalledTimes(format === 'onnx' ? 0 : 1);
    },
  );

  it('refuses a version whose inference.prepack tag is neither true nor false, naming the tag', async () => {
    const store = setup({
      registry: { resolve: vi.fn().mockResolvedValue({ ...v1, tags: { 'inference.prepack': 'yes' } }) },
      artifacts: { fetch: vi.fn().mockResolvedValue(bytes) },
    });
    const err = await store.acquire('m', '1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe('version tag inference.prepack="yes" must be true or false');
  });

  it('re-resolves an alias after invalidate(), but a pinned number stays cached', async () => {
    const resolve = vi.fn().mockResolvedValue(v1);
    const store = setup({ registry: { resolve } });
    await store.resolve('m', 'production');
    await store.resolve('m', 'production');
    expect(resolve).toHaveBeenCalledTimes(1);
    store.invalidate('m');
    await store.resolve('m', 'production');
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('answers an expired alias resolution at once while one background request refreshes it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      let answer: (v: ServableVersion) => void = () => {};
      const resolve = vi
        .fn()
        .mockResolvedValueOnce(v1)
        .mockReturnValueOnce(new Promise<ServableVersion>((r) => (answer = r)));
      const store = setup({
        registry: { resolve },
        artifacts: { fetch: vi.fn().mockResolvedValue(bytes) },
        ort: { open: vi.fn().mockResolvedValue(instance) },
      });
      expect(store.ready('m', '')).toBeUndefined();
      await store.acquire('m', '');
      expect(store.ready('m', '')?.version).toBe(v1);
      vi.setSystemTime(Date.now() + 1_001);
      expect((await store.resolve('m', '')).version).toBe(1);
      expect(store.ready('m', '')?.version).toBe(v1);
      expect(resolve).toHaveBeenCalledTimes(2);
      answer(v2);
      await vi.waitFor(async () => expect((await store.resolve('m', '')).version).toBe(2));
      // v2 is not loaded yet: the hot path does not wait for it, acquire does.
      expect(store.ready('m', '')).toBeUndefined();
      expect((await store.acquire('m', '')).version).toBe(v2);
      expect(resolve).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets an expired resolution whose refresh fails, so the next request gets the error', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const resolve = vi
        .fn()
        .mockResolvedValueOnce(v1)
        .mockRejectedValue(new NotFoundError('alias "production" of model "m" does not exist'));
      const store = setup({ registry: { resolve } });
      await store.resolve('m', 'production');
      vi.setSystemTime(Date.now() + 1_001);
      expect((await store.resolve('m', 'production')).version).toBe(1);
      await vi.waitFor(() => expect(resolve).toHaveBeenCalledTimes(2));
      await vi.waitFor(() => expect(store.resolve('m', 'production')).rejects.toThrow(NotFoundError));
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps serving an expired resolution whose refresh finds the registry unreachable, and retries later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const resolve = vi
        .fn()
        .mockResolvedValueOnce(v1)
        .mockRejectedValueOnce(new UnavailableError('NATS request to the registry timed out'))
        .mockResolvedValue(v2);
      const store = setup({ registry: { resolve } });
      await store.resolve('m', 'production');
      vi.setSystemTime(Date.now() + 1_001);
      expect((await store.resolve('m', 'production')).version).toBe(1);
      await vi.waitFor(() => expect(resolve).toHaveBeenCalledTimes(2));
      // Still v1, without asking again until the retry is due.
      await Promise.resolve();
      expect((await store.resolve('m', 'production')).version).toBe(1);
      expect(resolve).toHaveBeenCalledTimes(2);
      vi.setSystemTime(Date.now() + 1_001);
      expect((await store.resolve('m', 'production')).version).toBe(1);
      await vi.waitFor(async () => expect((await store.resolve('m', 'production')).version).toBe(2));
    } finally {
      vi.useRealTimers();
    }
  });

  it('passes on NOT_FOUND from the registry and caches nothing', async () => {
    const resolve = vi.fn().mockRejectedValue(new NotFoundError('model "x" does not exist'));
    const store = setup({ registry: { resolve } });
    await expect(store.acquire('x', '')).rejects.toThrow(NotFoundError);
    await expect(store.acquire('x', '')).rejects.toThrow(NotFoundError);
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('refuses an empty model name without asking the registry', async () => {
    await expect(setup({}).acquire('', '')).rejects.toThrow(InvalidArgumentError);
  });

  it('retries a load that failed for a passing reason', async () => {
    const fetch = vi.fn().mockRejectedValueOnce(new Error('socket hang up')).mockResolvedValue(bytes);
    const store = setup({
      registry: { resolve: vi.fn().mockResolvedValue(v1) },
      artifacts: { fetch },
      ort: { open: vi.fn().mockResolvedValue(instance) },
    });
    await expect(store.acquire('m', '1')).rejects.toThrow('socket hang up');
    await expect(store.acquire('m', '1')).resolves.toMatchObject({ version: v1 });
  });

  it('hot-swaps on an alias move: loads the new version before switching, then unloads the old', async () => {
    const registry = {
      resolve: vi.fn(async (_m: string, sel: string) => (sel === '2' ? v2 : sel === '1' ? v1 : current)),
    };
    let current = v1;
    const close = vi.fn();
    const open = vi.fn().mockResolvedValue({ ...instance, close });
    const store = setup({ registry, artifacts: { fetch: vi.fn().mockResolvedValue(bytes) }, ort: { open } });
    await store.acquire('m', '');
    current = v2;
    await store.aliasMoved('m', 'production', 2, 1);
    expect(store.loadedVersions().map((v) => v.version)).toEqual([2]);
    expect(close).toHaveBeenCalledOnce();
    expect((await store.acquire('m', '')).version.version).toBe(2);
  });

  it("forgets an unloaded version's metrics and statistics, so a process that hot-swaps keeps none of its past versions", async () => {
    let current = v1;
    const registry = { resolve: vi.fn(async () => current) };
    const prometheus = new Registry();
    const metrics = new InferenceMetricsRepository(prometheus);
    const statistics = new ModelStatisticsService();
    const open = vi.fn().mockResolvedValue(instance);
    const store = setup({
      registry,
      artifacts: { fetch: vi.fn().mockResolvedValue(bytes) },
      ort: { open },
      metrics,
      statistics,
    });
    await store.acquire('m', '');
    const served = { requestUs: 10, queueUs: 1, computeUs: 5, batchSize: 1, leader: true };
    metrics.recordSuccess('m', '1', served);
    metrics.recordFailure('m', '1', 'INVALID_ARGUMENT');
    metrics.recordDetectorScored('m', '1', 'det@1', 4);
    metrics.recordDetectorRefused('m', '1', 2);
    statistics.recordSuccess('m', '1', { ...served, rows: 1 });
    expect(await prometheus.metrics()).toContain('version="1"');
    expect(statistics.statistics({ name: 'm', version: '' }).model_stats).toHaveLength(1);

    current = v2;
    await store.aliasMoved('m', 'production', 2, 1);
    metrics.recordSuccess('m', '2', served);
    const text = await prometheus.metrics();
    expect(text).not.toContain('version="1"');
    expect(text).toContain('aimass_inference_request_success_total{model="m",version="2"} 1');
    expect(statistics.statistics({ name: 'm', version: '' }).model_stats).toEqual([]);
  });

  it('keeps the old version serving moving selectors when the new one cannot load', async () => {
    let current = v1;
    const registry = { resolve: vi.fn(async (_m: string, sel: string) => (sel === '2' ? v2 : current)) };
    const fetch = vi.fn(async (key: string) => (key === 'k2' ? Buffer.from('tampered') : bytes));
    const store = setup({
      registry,
      artifacts: { fetch },
      ort: { open: vi.fn().mockResolvedValue(instance) },
      audit: { digestMismatch: vi.fn().mockResolvedValue(undefined) },
    });
    await store.acquire('m', '');
    current = v2;
    await store.aliasMoved('m', 'production', 2, 1);
    expect((await store.acquire('m', '')).version.version).toBe(1);
    expect((await store.acquire('m', 'production')).version.version).toBe(1);
  });

  it('keeps serving the previous version when a moving selector starts naming one that cannot load, before any event', async () => {
    let current = v1;
    const registry = { resolve: vi.fn(async () => current) };
    const fetch = vi.fn(async (key: string) => (key === 'k2' ? Buffer.from('tampered') : bytes));
    const store = setup({
      registry,
      artifacts: { fetch },
      ort: { open: vi.fn().mockResolvedValue(instance) },
      audit: { digestMismatch: vi.fn().mockResolvedValue(undefined) },
    });
    await store.acquire('m', '');
    current = v2;
    store.invalidate('m');
    expect((await store.acquire('m', '')).version.version).toBe(1);
    await expect(store.acquire('m', '2')).rejects.toThrow(FailedPreconditionError);
  });

  it('unloads every loaded version of a model on request, and serves it again only once loaded', async () => {
    const close = vi.fn();
    const open = vi.fn().mockResolvedValue({ ...instance, close });
    const store = setup({
      registry: { resolve: vi.fn(async (_m: string, sel: string) => (sel === '2' ? v2 : v1)) },
      artifacts: { fetch: vi.fn().mockResolvedValue(bytes) },
      ort: { open },
    });
    await store.acquire('m', '1');
    await store.acquire('m', '2');
    expect(await store.unloadModel('m')).toBe(2);
    expect(store.loadedVersions()).toEqual([]);
    expect(close).toHaveBeenCalledTimes(2);
    await expect(store.acquire('m', '1')).rejects.toThrow('was unloaded (RepositoryModelUnload)');
    await store.loadModel('m');
    await store.acquire('m', '1');
    expect(open).toHaveBeenCalledTimes(3);
    expect(store.loadedVersions().map((v) => v.version)).toEqual([1]);
  });

  it('unloads the least recently used version when loaded artifacts exceed the memory budget', async () => {
    const big = Buffer.alloc(600, 1);
    const bigDigest = createHash('sha256').update(big).digest('hex');
    const versions = [1, 2, 3].map((n) => ({ ...v1, version: n, sha256: bigDigest, artifact_key: `k${n}` }));
    const store = setup({
      registry: { resolve: vi.fn(async (_m: string, sel: string) => versions[Number(sel) - 1]!) },
      artifacts: { fetch: vi.fn().mockResolvedValue(big) },
      ort: { open: vi.fn().mockResolvedValue(instance) },
    });
    await store.acquire('m', '1');
    await store.acquire('m', '2');
    await new Promise((r) => setTimeout(r, 5));
    expect(store.loadedVersions().map((v) => v.version)).toEqual([2]);
    await store.acquire('m', '3');
    await new Promise((r) => setTimeout(r, 5));
    expect(store.loadedVersions().map((v) => v.version)).toEqual([3]);
  });
});
