import type { AimassConfig } from '@aimass/config';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { LoadedVersion } from '../loading/loaded-version.js';
import { VersionLoader, type VersionState } from '../loading/version-loader.js';
import { DEFAULT_ALIAS, VersionResolver } from '../loading/version-resolver.js';
import type { ServableVersion } from '../types.js';
import { ArtifactDownloadRepository } from '../repositories/artifact-download.repository.js';
import { AuditRepository } from '../repositories/audit.repository.js';
import { InferenceMetricsRepository } from '../repositories/inference-metrics.repository.js';
import { OrtRepository } from '../repositories/ort.repository.js';
import { RegistryRepository } from '../repositories/registry.repository.js';
import { TfjsRepository } from '../repositories/tfjs.repository.js';
import { ModelStatisticsService } from './model-statistics.service.js';

/**
 * Which loaded version serves a name plus selector: the VersionResolver says which version the
 * selector means, the VersionLoader loads it. Here live the rules that need both: a moving selector
 * whose new version cannot load keeps its previous one, an alias move hot-swaps (load the new
 * version, switch, unload the old), and a model unloaded on request serves nothing until loaded.
 */
@Injectable()
export class ModelVersionStore implements OnModuleDestroy {
  private readonly logger = new Logger(ModelVersionStore.name);
  private readonly resolver: VersionResolver;
  private readonly loader: VersionLoader;
  /** Models a caller unloaded with RepositoryModelUnload; they serve nothing until loaded again. */
  private readonly unloadedOnRequest = new Set<string>();

  constructor(
    registry: RegistryRepository,
    artifacts: ArtifactDownloadRepository,
    ort: OrtRepository,
    tfjs: TfjsRepository,
    audit: AuditRepository,
    metrics: InferenceMetricsRepository,
    statistics: ModelStatisticsService,
    @Inject(AIMASS_CONFIG) config: Pick<AimassConfig, 'inference'>,
  ) {
    const c = config.inference;
    this.resolver = new VersionResolver(registry);
    this.loader = new VersionLoader(
      { artifacts, ort, tfjs, audit },
      {
        maxBatchSize: c.maxBatchSize,
        maxQueueDelayUs: c.maxQueueDelayUs,
        preferredBatchSizes: [],
        maxQueue: c.maxQueue,
        instances: c.instances,
      },
      c.memoryBudgetBytes,
      ({ model, version }) => {
        metrics.forgetVersion(model, String(version));
        statistics.forget(model, String(version));
      },
    );
  }

  /**
   * The hot path: the loaded version `selector` means when that is known without waiting (its
   * resolution is cached and the version is loaded), else undefined (then use acquire).
   */
  ready(model: string, selector: string): LoadedVersion | undefined {
    if (!model || this.unloadedOnRequest.has(model)) return undefined;
    selector ??= '';
    const version = this.resolver.known(model, selector);
    if (!version) return undefined;
    const ready = this.loader.ready(version);
    if (ready) this.resolver.served(model, selector, version);
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
    const version = await this.resolver.resolve(model, selector);
    const ready = this.loader.ready(version);
    if (ready) {
      this.resolver.served(model, selector, version);
      return ready;
    }
    try {
      const loaded = await this.loader.load(version);
      this.resolver.served(model, selector, version);
      return loaded;
    } catch (err) {
      // An alias (or the default) now names a version that cannot be served: the version it named
      // before keeps serving it, as a failed hot swap does, until the alias moves again.
      const previous = this.resolver.previous(model, selector);
      if (!(err instanceof FailedPreconditionError) || !previous || previous.version === version.version)
        throw err;
      this.resolver.hold(model, [selector], previous);
      this.logger.error(
        { err, model, selector, serving: previous.version },
        'the selector names a version that cannot load; the previous version keeps serving',
      );
      return this.acquire(model, selector);
    }
  }

  resolve(model: string, selector: string): Promise<ServableVersion> {
    return this.resolver.resolve(model, selector);
  }

  /** Forgets how selectors of `model` resolved (an alias moved); loaded versions stay loaded. */
  invalidate(model: string): void {
    this.resolver.invalidate(model);
  }

  /**
   * Hot swap after an alias moved: when the model is served here, load and warm up the new version
   * first, then switch selectors over (invalidate), then drain and unload the old version. When the
   * new version cannot be loaded the old one keeps serving the model's moving selectors.
   */
  async aliasMoved(model: string, alias: string, toVersion: number, fromVersion: number): Promise<void> {
    const selectors = alias === DEFAULT_ALIAS ? [alias, ''] : [alias];
    this.resolver.releaseAll(model);
    const old = this.loader.peek(model, fromVersion);
    if (!old || toVersion === 0) {
      this.resolver.invalidate(model);
      return;
    }
    // Until the new version is warm, the moved selectors keep meaning the old one.
    this.resolver.hold(model, selectors, old.version);
    try {
      const next = await this.resolver.lookup(model, String(toVersion));
      await this.loader.load(next);
    } catch (err) {
      this.logger.error(
        { err, model, version: toVersion },
        'hot swap failed; the previous version keeps serving',
      );
      return;
    }
    this.resolver.release(model, selectors);
    this.resolver.invalidate(model);
    // Another selector (the default one, when a non-production alias moved) may still mean the old version.
    const current = await this.resolver.resolve(model, '').catch(() => undefined);
    if (current?.version !== fromVersion) await this.loader.unload(old.version);
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
    return this.loader.unloadModel(model);
  }

  /** What this process serves or tried to serve: one entry per version. */
  states(): { model: string; version: number; state: VersionState; reason: string }[] {
    return this.loader.states();
  }

  loadedVersions(): ServableVersion[] {
    return this.loader.versions();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loader.close();
  }
}
