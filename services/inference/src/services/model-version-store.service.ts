import type { AimassConfig } from '@aimass/config';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  UnavailableError,
  type AimassError,
} from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InstancePool } from '../inference/execution/instance-pool.js';
import { warmUp } from '../inference/execution/warm-up.js';
import { batchingPolicyFor, type BatchingPolicy } from '../inference/scheduling/batching-policy.js';
import { DirectScheduler } from '../inference/scheduling/direct-scheduler.js';
import { DynamicBatcher } from '../inference/scheduling/dynamic-batcher.js';
import type { Scheduler } from '../inference/scheduling/scheduler.js';
import type { ServableVersion } from '../inference/types.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { OrtRepository } from '../repositories/ort.repository.js';
import { RegistryRepository } from '../repositories/registry.repository.js';
import { TfjsRepository } from '../repositories/tfjs.repository.js';

/** A version that passed its digest check and has its instances behind a scheduler. */
export interface LoadedVersion {
  readonly version: ServableVersion;
  readonly scheduler: Scheduler;
  readonly pool: InstancePool;
  readonly policy: BatchingPolicy;
  readonly bytes: number;
}

export type VersionState = 'LOADING' | 'READY' | 'UNAVAILABLE';

/** Alias and default selectors are re-resolved this often; registry alias events also invalidate. */
const MOVING_SELECTOR_TTL_MS = 1000;
const PINNED_SELECTOR_TTL_MS = 60_000;
const REFUSAL_TTL_MS = 30_000;

/**
 * Repository management for serving (Triton's first layer): which version a name plus selector
 * means, and which versions are loaded. A version is loaded once, on first use; its artifact is
 * refused, and stays refused, when its bytes do not hash to the SHA-256 the registry recorded.
 * Loaded versions are warmed up before they serve, stay within a memory budget (least recently
 * used ones are drained and unloaded), and are hot-swapped when an alias moves. The store owns
 * every loaded version; schedulers own the requests they accepted.
 */
@Injectable()
export class ModelVersionStore implements OnModuleDestroy {
  private readonly logger = new Logger(ModelVersionStore.name);
  private readonly resolutions = new Map<string, { version: ServableVersion; expires: number }>();
  /** Selector keys whose expired resolution is being refreshed in the background. */
  private readonly refreshing = new Set<string>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly settled = new Map<string, LoadedVersion & { lastUsed: number }>();
  private readonly refused = new Map<string, { error: AimassError; until: number }>();
  /**
   * Per model + moving selector: the version it keeps meaning while a hot swap loads its successor,
   * or after the successor failed to load, until the model's next alias event.
   */
  private readonly held = new Map<string, ServableVersion>();
  /** Models a caller unloaded with RepositoryModelUnload; they serve nothing until loaded again. */
  private readonly unloadedOnRequest = new Set<string>();
  /** Per model + moving selector: the last version it was served from. */
  private readonly lastGood = new Map<string, ServableVersion>();
  /** Bumped by every invalidate(model); a resolution that straddles a bump is not cached. */
  private readonly generations = new Map<string, number>();
  private readonly defaults: BatchingPolicy;
  private readonly budgetBytes: number;

  constructor(
    private readonly registry: RegistryRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly ort: OrtRepository,
    private readonly tfjs: TfjsRepository,
    @Inject(AIMASS_CONFIG) config: Pick<AimassConfig, 'inference'>,
  ) {
    const c = config.inference;
    this.defaults = {
      maxBatchSize: c.maxBatchSize,
      maxQueueDelayUs: c.maxQueueDelayUs,
      preferredBatchSizes: [],
      maxQueue: c.maxQueue,
      instances: c.instances,
    };
    this.budgetBytes = c.memoryBudgetBytes;
  }

  /**
   * The hot path: the loaded version `selector` means when that is known without waiting (its
   * resolution is cached and the version is loaded), else undefined (then use acquire).
   */
  ready(model: string, selector: string): LoadedVersion | undefined {
    if (!model || this.unloadedOnRequest.has(model)) return undefined;
    selector ??= '';
    const version = this.known(model, selector);
    if (!version) return undefined;
    const ready = this.settled.get(keyOf(version));
    if (!ready) return undefined;
    ready.lastUsed = performance.now();
    if (!isPinned(selector)) {
      const key = selectorKey(model, selector);
      if (this.lastGood.get(key) !== version) this.lastGood.set(key, version);
    }
    return ready;
  }

  async acquire(model: string, selector: string): Promise<LoadedVersion> {
    if (!model) throw new InvalidArgumentError('model_name is empty');
    if (this.unloadedOnRequest.has(model)) {
      throw new UnavailableError(
        `model "${model}" was unloaded (RepositoryModelUnload); load it again with RepositoryModelLoad`,
      );
    }
    selector ??= '';
    const version = await this.resolve(model, selector);
    const ready = this.settled.get(keyOf(version));
    if (ready) {
      ready.lastUsed = performance.now();
      if (!isPinned(selector)) this.lastGood.set(selectorKey(model, selector), version);
      return ready;
    }
    try {
      const loaded = await this.load(version);
      if (!isPinned(selector)) this.lastGood.set(selectorKey(model, selector), version);
      return loaded;
    } catch (err) {
      // An alias (or the default) now names a version that cannot be served: the version it named
      // before keeps serving it, as a failed hot swap does, until the alias moves again.
      const previous = this.lastGood.get(selectorKey(model, selector));
      if (
        !(err instanceof FailedPreconditionError) ||
        isPinned(selector) ||
        !previous ||
        previous.version === version.version
      )
        throw err;
      this.held.set(selectorKey(model, selector), previous);
      this.logger.error(
        { err, model, selector, serving: previous.version },
        'the selector names a version that cannot load; the previous version keeps serving',
      );
      return this.acquire(model, selector);
    }
  }

  async resolve(model: string, selector: string): Promise<ServableVersion> {
    if (!model) throw new InvalidArgumentError('model name is empty');
    return this.known(model, selector) ?? this.ask(model, selector);
  }

  /**
   * What the selector means without asking the registry, if known: the held version during a hot
   * swap, else the cached resolution. An expired resolution is still answered while one
   * background request refreshes it, so no request waits for the registry once per TTL (alias
   * events invalidate at once anyway; the TTL only bounds how long a missed event can last).
   */
  private known(model: string, selector: string): ServableVersion | undefined {
    const key = selectorKey(model, selector);
    if (!isPinned(selector)) {
      const held = this.held.get(key);
      if (held) return held;
    }
    const cached = this.resolutions.get(key);
    if (!cached) return undefined;
    if (cached.expires <= Date.now()) this.refresh(model, selector, cached);
    return cached.version;
  }

  private refresh(model: string, selector: string, stale: { version: ServableVersion }): void {
    const key = selectorKey(model, selector);
    if (this.refreshing.has(key)) return;
    this.refreshing.add(key);
    this.ask(model, selector)
      .catch((err: unknown) => {
        // The selector may no longer resolve (alias deleted, registry down): forget the stale
        // answer, so that the next request asks and gets the registry's error itself.
        if (this.resolutions.get(key) === stale) this.resolutions.delete(key);
        this.logger.warn({ err, model, selector }, 'refreshing a cached version resolution failed');
      })
      .finally(() => this.refreshing.delete(key));
  }

  /** Asks the registry what the selector means and caches the answer. */
  private async ask(model: string, selector: string): Promise<ServableVersion> {
    const pinned = isPinned(selector);
    const key = selectorKey(model, selector);
    for (;;) {
      const generation = this.generations.get(model) ?? 0;
      const version = await this.registry.resolve(model, selector);
      // An alias moved while the registry answered: the answer may predate the move, so ask again
      // rather than cache (and perhaps reload) the version being swapped out.
      if ((this.generations.get(model) ?? 0) !== generation && !pinned) continue;
      this.resolutions.set(key, {
        version,
        expires: Date.now() + (pinned ? PINNED_SELECTOR_TTL_MS : MOVING_SELECTOR_TTL_MS),
      });
      return version;
    }
  }

  /** Forgets how selectors of `model` resolved (an alias moved); loaded versions stay loaded. */
  invalidate(model: string): void {
    this.generations.set(model, (this.generations.get(model) ?? 0) + 1);
    for (const key of this.resolutions.keys())
      if (key.startsWith(`${model}\u0000`)) this.resolutions.delete(key);
  }

  /**
   * Hot swap after an alias moved: when the model is served here, load and warm up the new version
   * first, then switch selectors over (invalidate), then drain and unload the old version. When the
   * new version cannot be loaded the old one keeps serving the model's moving selectors.
   */
  async aliasMoved(model: string, alias: string, toVersion: number, fromVersion: number): Promise<void> {
    const selectors = alias === DEFAULT_ALIAS ? [alias, ''] : [alias];
    for (const key of this.held.keys()) if (key.startsWith(`${model}\u0000`)) this.held.delete(key);
    const old = this.settled.get(`${model}:${fromVersion}`);
    if (!old || toVersion === 0) {
      this.invalidate(model);
      return;
    }
    // Until the new version is warm, the moved selectors keep meaning the old one.
    for (const sel of selectors) this.held.set(selectorKey(model, sel), old.version);
    try {
      const next = await this.registry.resolve(model, String(toVersion));
      await this.load(next);
    } catch (err) {
      this.logger.error(
        { err, model, version: toVersion },
        'hot swap failed; the previous version keeps serving',
      );
      return;
    }
    for (const sel of selectors) this.held.delete(selectorKey(model, sel));
    this.invalidate(model);
    // Another selector (the default one, when a non-production alias moved) may still mean the old version.
    const current = await this.resolve(model, '').catch(() => undefined);
    if (current?.version !== fromVersion) await this.unloadVersion(keyOf(old.version));
  }

  /** Loads the version the model's default selector means (RepositoryModelLoad). */
  async loadModel(model: string): Promise<LoadedVersion> {
    this.unloadedOnRequest.delete(model);
    return this.acquire(model, '');
  }

  /**
   * Drains and unloads every loaded version of `model` (RepositoryModelUnload). The model then
   * stays unavailable, as in Triton's explicit model control, until RepositoryModelLoad; versions
   * unloaded by a hot swap or the memory budget instead load again on demand.
   */
  async unloadModel(model: string): Promise<number> {
    this.unloadedOnRequest.add(model);
    const keys = [...new Set([...this.settled.keys(), ...this.loading.keys()])].filter((k) =>
      k.startsWith(`${model}:`),
    );
    await Promise.all(keys.map((k) => this.unloadVersion(k)));
    return keys.length;
  }

  /** What this process serves or tried to serve: one entry per version. */
  states(): { model: string; version: number; state: VersionState; reason: string }[] {
    const out: { model: string; version: number; state: VersionState; reason: string }[] = [];
    for (const l of this.settled.values())
      out.push({ model: l.version.model, version: l.version.version, state: 'READY', reason: '' });
    for (const key of this.loading.keys()) {
      if (this.settled.has(key)) continue;
      const [model, version] = splitKey(key);
      out.push({ model, version, state: 'LOADING', reason: '' });
    }
    for (const [key, r] of this.refused) {
      if (r.until <= Date.now()) continue;
      const [model, version] = splitKey(key);
      out.push({ model, version, state: 'UNAVAILABLE', reason: r.error.message });
    }
    return out;
  }

  loadedVersions(): ServableVersion[] {
    return [...this.settled.values()].map((l) => l.version);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.loading.values()]);
    await Promise.all([...this.settled.keys()].map((k) => this.unloadVersion(k)));
  }

  private load(version: ServableVersion): Promise<LoadedVersion> {
    const key = keyOf(version);
    const refusal = this.refused.get(key);
    if (refusal && refusal.until > Date.now()) return Promise.reject(refusal.error);
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
          this.settled.set(key, { ...loaded, lastUsed: performance.now() });
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

  private async unloadVersion(key: string): Promise<void> {
    const loaded = this.settled.get(key);
    this.settled.delete(key);
    this.loading.delete(key);
    if (!loaded) return;
    await loaded.scheduler.stop();
    await loaded.pool.close();
    this.logger.log(
      { model: loaded.version.model, version: loaded.version.version },
      'model version unloaded',
    );
  }

  /** Unloads least recently used versions (never `keep`) while loaded artifacts exceed the budget. */
  private enforceBudget(keep: string): void {
    let total = [...this.settled.values()].reduce((n, l) => n + l.bytes, 0);
    const byAge = [...this.settled.entries()]
      .filter(([k]) => k !== keep)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, l] of byAge) {
      if (total <= this.budgetBytes) break;
      total -= l.bytes;
      this.logger.log(
        { model: l.version.model, version: l.version.version, budget: this.budgetBytes },
        'memory budget exceeded; unloading the least recently used version',
      );
      void this.unloadVersion(key);
    }
  }

  private async open(version: ServableVersion): Promise<LoadedVersion> {
    const label = `model "${version.model}" version ${version.version}`;
    if (version.format !== 'onnx' && version.format !== 'tfjs') {
      throw new FailedPreconditionError(
        `${label} is in format "${version.format}", which inference cannot serve; it serves onnx and tfjs models`,
      );
    }
    const policy = batchingPolicyFor(version.signature, version.tags, this.defaults);
    const bytes = await this.artifacts.fetch(version.artifact_key);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== version.sha256) {
      this.logger.error(
        { model: version.model, version: version.version, expected: version.sha256, actual: digest },
        'artifact digest mismatch; version refused',
      );
      throw new FailedPreconditionError(
        `${label} is refused: its artifact hashes to ${digest} but the registry recorded ${version.sha256}; push the model again`,
      );
    }
    const instances = [];
    try {
      for (let i = 0; i < policy.instances; i++) {
        instances.push(
          version.format === 'tfjs'
            ? await this.tfjs.open(bytes, label, version.signature)
            : await this.ort.open(bytes, label),
        );
      }
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
    const scheduler =
      policy.maxBatchSize > 1
        ? new DynamicBatcher(pool, label, policy)
        : new DirectScheduler(pool, label, policy.maxQueue);
    this.logger.log(
      { model: version.model, version: version.version, bytes: bytes.length, policy },
      'model version loaded',
    );
    return { version, pool, policy, scheduler, bytes: bytes.length };
  }
}

/** The alias an empty selector means when it is set. */
const DEFAULT_ALIAS = 'production';

function isPinned(selector: string): boolean {
  return /^[0-9]+$/.test(selector);
}

function selectorKey(model: string, selector: string): string {
  return `${model}\u0000${selector}`;
}

function keyOf(version: ServableVersion): string {
  return `${version.model}:${version.version}`;
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
