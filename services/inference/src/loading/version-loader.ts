import { FailedPreconditionError, InvalidArgumentError, type AimassError } from '@aimass/errors';
import { ObjectIntegrityError } from '@aimass/storage';
import { Logger } from '@nestjs/common';
import { pickExternalGraph } from '@aimass/onnx';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InstancePool } from '../execution/instance-pool.js';
import type { ModelInstance } from '../execution/model-instance.js';
import { warmUp } from '../execution/warm-up.js';
import type { ArtifactDownloadRepository } from '../repositories/artifact-download.repository.js';
import type { AuditRepository } from '../repositories/audit.repository.js';
import type { OrtRepository } from '../repositories/ort.repository.js';
import type { TfjsRepository } from '../repositories/tfjs.repository.js';
import { batchingPolicyFor, type BatchingPolicy } from '../scheduling/batching-policy.js';
import type { ServableVersion } from '../types.js';
import { LoadedVersion } from './loaded-version.js';

export type VersionState = 'LOADING' | 'READY' | 'UNAVAILABLE';

const REFUSAL_TTL_MS = 30_000;

const SERVED_FORMATS: readonly string[] = ['onnx', 'onnx-external', 'tfjs'];

/** Version tag: whether onnxruntime pre-packs the weights (see OpenOptions.prepack). */
export const PREPACK_TAG = 'inference.prepack';

/**
 * Pre-packing, as the version's tag says, else the format's default: on for a model read into
 * memory, off for one opened from external-data shards, whose weights then stay in the mapped
 * files instead of being copied while held (a load peak of ~1.3x the weights, for models that are
 * sharded because they are large).
 */
export function prepackFor(tags: Readonly<Record<string, string>> | undefined, fallback: boolean): boolean {
  const raw = tags?.[PREPACK_TAG];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new InvalidArgumentError(`version tag ${PREPACK_TAG}="${raw}" must be true or false`);
}

/** Where a loader gets artifacts and opens model instances. */
export interface LoaderRepositories {
  readonly artifacts: Pick<ArtifactDownloadRepository, 'fetch' | 'unpack'>;
  readonly ort: Pick<OrtRepository, 'open'>;
  readonly tfjs: Pick<TfjsRepository, 'open'>;
  readonly audit: Pick<AuditRepository, 'digestMismatch' | 'integrityFailure'>;
}

/**
 * Which versions are loaded (Triton's repository manager). A version is loaded once, however many
 * callers ask while it loads; its artifact is refused, and stays refused for a while, when its bytes
 * do not hash to the SHA-256 the registry recorded or (encrypted at rest) fail decryption, and each
 * refusal is written to the audit stream. Artifacts are decrypted in memory: an encrypted one's
 * plaintext never touches disk (an onnx-external one, whose shards onnxruntime opens by path, is
 * unpacked only onto a tmpfs). Loaded versions are warmed up before they serve, and stay within a
 * memory budget: the least recently used ones are drained and unloaded.
 * The loader owns every loaded version.
 */
export class VersionLoader {
  private readonly logger = new Logger(VersionLoader.name);
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly settled = new Map<string, { loaded: LoadedVersion; lastUsed: number }>();
  private readonly refused = new Map<string, { error: AimassError; until: number }>();

  constructor(
    private readonly repositories: LoaderRepositories,
    private readonly defaults: BatchingPolicy,
    private readonly budgetBytes: number,
    /** Told of every version once it is unloaded, to forget what was kept about it (metrics, statistics). */
    private readonly onUnloaded: (version: ServableVersion) => void = () => undefined,
  ) {}

  /** The loaded `version`, marked as just used; undefined when it is not loaded. */
  ready(version: ServableVersion): LoadedVersion | undefined {
    const entry = this.settled.get(keyOf(version));
    if (!entry) return undefined;
    entry.lastUsed = performance.now();
    return entry.loaded;
  }

  /** The loaded version `version` of `model`, if any, without marking it used. */
  peek(model: string, version: number): LoadedVersion | undefined {
    return this.settled.get(`${model}:${version}`)?.loaded;
  }

  load(version: ServableVersion): Promise<LoadedVersion> {
    const key = keyOf(version);
    const refusal = this.refused.get(key);
    if (refusal && refusal.until > Date.now()) return Promise.reject(refusal.error);
    if (refusal) this.refused.delete(key);
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.open(version).then(
        (loaded) => {
          if (this.loading.get(key) !== loading) {
            // Unloaded while it loaded: nobody may use it.
            void loaded.pool.close();
            throw new FailedPreconditionError(
              `model "${version.model}" version ${version.version} was unloaded while it loaded; retry`,
            );
          }
          this.settled.set(key, { loaded, lastUsed: performance.now() });
          this.enforceBudget(key);
          return loaded;
        },
        (err: unknown) => {
          this.loading.delete(key);
          if (err instanceof FailedPreconditionError || err instanceof InvalidArgumentError)
            this.refused.set(key, { error: err, until: Date.now() + REFUSAL_TTL_MS });
          throw err;
        },
      );
      this.loading.set(key, loading);
    }
    return loading;
  }

  /** Drains and unloads `version`; a load in progress is abandoned. */
  unload(version: ServableVersion): Promise<void> {
    return this.unloadKey(keyOf(version));
  }

  /** Drains and unloads every loaded or loading version of `model`; resolves to how many. */
  async unloadModel(model: string): Promise<number> {
    const keys = [...new Set([...this.settled.keys(), ...this.loading.keys()])].filter((k) =>
      k.startsWith(`${model}:`),
    );
    await Promise.all(keys.map((k) => this.unloadKey(k)));
    return keys.length;
  }

  /** What this process serves or tried to serve: one entry per version. */
  states(): { model: string; version: number; state: VersionState; reason: string }[] {
    const out: { model: string; version: number; state: VersionState; reason: string }[] = [];
    for (const { loaded: l } of this.settled.values())
      out.push({ model: l.version.model, version: l.version.version, state: 'READY', reason: '' });
    for (const key of this.loading.keys()) {
      if (this.settled.has(key)) continue;
      const [model, version] = splitKey(key);
      out.push({ model, version, state: 'LOADING', reason: '' });
    }
    for (const [key, r] of this.refused) {
      if (r.until <= Date.now()) {
        this.refused.delete(key);
        continue;
      }
      const [model, version] = splitKey(key);
      out.push({ model, version, state: 'UNAVAILABLE', reason: r.error.message });
    }
    return out;
  }

  versions(): ServableVersion[] {
    return [...this.settled.values()].map((e) => e.loaded.version);
  }

  /** Waits for loads in progress, then unloads everything. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.loading.values()]);
    await Promise.all([...this.settled.keys()].map((k) => this.unloadKey(k)));
  }

  private async unloadKey(key: string): Promise<void> {
    const entry = this.settled.get(key);
    this.settled.delete(key);
    this.loading.delete(key);
    if (!entry) return;
    await entry.loaded.unload();
    this.onUnloaded(entry.loaded.version);
    this.logger.log(
      { model: entry.loaded.version.model, version: entry.loaded.version.version },
      'model version unloaded',
    );
  }

  /** Unloads least recently used versions (never `keep`) while loaded artifacts exceed the budget. */
  private enforceBudget(keep: string): void {
    let total = [...this.settled.values()].reduce((n, e) => n + e.loaded.bytes, 0);
    const byAge = [...this.settled.entries()]
      .filter(([k]) => k !== keep)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, { loaded: l }] of byAge) {
      if (total <= this.budgetBytes) break;
      total -= l.bytes;
      this.logger.log(
        { model: l.version.model, version: l.version.version, budget: this.budgetBytes },
        'memory budget exceeded; unloading the least recently used version',
      );
      void this.unloadKey(key);
    }
  }

  /** Downloads, checks and opens `version`: on success the caller owns the LoadedVersion. */
  private async open(version: ServableVersion): Promise<LoadedVersion> {
    const label = `model "${version.model}" version ${version.version}`;
    if (!SERVED_FORMATS.includes(version.format)) {
      throw new FailedPreconditionError(
        `${label} is in format "${version.format}", which inference cannot serve; it serves ${SERVED_FORMATS.join(', ')} models`,
      );
    }
    const policy = batchingPolicyFor(version.signature, version.tags, this.defaults);
    const prepack = prepackFor(version.tags, version.format !== 'onnx-external');
    if (version.format === 'onnx-external') {
      // onnxruntime reads external data by path: the shards go to a private folder, streamed,
      // never whole in memory; the folder goes once the sessions have read what they need.
      const unpacked = await this.integrityChecked(version, () =>
        this.repositories.artifacts.unpack(version.artifact_key),
      );
      try {
        await this.checkDigest(version, unpacked.sha256, label);
        const graph = path.join(
          unpacked.dir,
          refusedUnless(label, () => pickExternalGraph(unpacked.files)),
        );
        return await this.start(version, policy, unpacked.bytes, () =>
          this.repositories.ort.open(graph, label, { prepack }),
        );
      } finally {
        await unpacked.remove();
      }
    }
    const bytes = await this.integrityChecked(version, () =>
      this.repositories.artifacts.fetch(version.artifact_key),
    );
    await this.checkDigest(version, createHash('sha256').update(bytes).digest('hex'), label);
    return this.start(version, policy, bytes.length, () =>
      version.format === 'tfjs'
        ? this.repositories.tfjs.open(bytes, label, version.signature)
        : this.repositories.ort.open(bytes, label, { prepack }),
    );
  }

  /** Refuses (and audits) an artifact whose bytes do not hash to what the registry recorded. */
  private async checkDigest(version: ServableVersion, digest: string, label: string): Promise<void> {
    if (digest === version.sha256) return;
    this.logger.error(
      { model: version.model, version: version.version, expected: version.sha256, actual: digest },
      'artifact digest mismatch; version refused',
    );
    // The refusal stands whether or not the audit record can be stored (NATS may be down).
    await this.repositories.audit
      .digestMismatch({
        model: version.model,
        version: version.version,
        artifactKey: version.artifact_key,
        expectedSha256: version.sha256,
        actualSha256: digest,
      })
      .catch((err: unknown) =>
        this.logger.error(
          { err, model: version.model, version: version.version },
          'could not store the audit record of a digest mismatch',
        ),
      );
    throw new FailedPreconditionError(
      `${label} is refused: its artifact hashes to ${digest} but the registry recorded ${version.sha256}; push the model again`,
    );
  }

  /** Opens the policy's instances, warms them up, and wraps them as a LoadedVersion of `bytes`. */
  private async start(
    version: ServableVersion,
    policy: BatchingPolicy,
    bytes: number,
    openInstance: () => Promise<ModelInstance>,
  ): Promise<LoadedVersion> {
    const instances: ModelInstance[] = [];
    try {
      for (let i = 0; i < policy.instances; i++) instances.push(await openInstance());
    } catch (err) {
      await Promise.allSettled(instances.map((i) => i.close()));
      throw err;
    }
    const pool = new InstancePool(instances);
    await Promise.all(
      instances.map((i) =>
        warmUp(i, version.signature, (err) =>
          this.logger.warn(
            { err, model: version.model, version: version.version },
            'warm-up run failed; serving anyway',
          ),
        ),
      ),
    );
    this.logger.log(
      { model: version.model, version: version.version, format: version.format, bytes, policy },
      'model version loaded',
    );
    return new LoadedVersion(version, pool, policy, bytes);
  }

  /** Reads the artifact with `read`; a sealed one that fails decryption is refused and audited. */
  private async integrityChecked<T>(version: ServableVersion, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof ObjectIntegrityError)) throw err;
      const where = { model: version.model, version: version.version, reason: err.reason };
      this.logger.error({ ...where, err: err.message }, 'artifact failed decryption; version refused');
      // As with a digest mismatch, the refusal stands whether or not the record can be stored.
      await this.repositories.audit
        .integrityFailure({
          model: version.model,
          version: version.version,
          artifactKey: version.artifact_key,
          reason: err.reason,
          message: err.message,
        })
        .catch((auditErr: unknown) =>
          this.logger.error(
            { err: auditErr, ...where },
            'could not store the audit record of a decryption failure',
          ),
        );
      throw new FailedPreconditionError(
        `model "${version.model}" version ${version.version} is refused: ${err.message}`,
        { cause: err },
      );
    }
  }
}

function keyOf(version: ServableVersion): string {
  return `${version.model}:${version.version}`;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}

/** A layout rule the registry checked at push time; broken here, the version is refused. */
function refusedUnless<T>(label: string, rule: () => T): T {
  try {
    return rule();
  } catch (err) {
    throw new FailedPreconditionError(`${label} cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
}
