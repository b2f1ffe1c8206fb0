import { FailedPreconditionError, InvalidArgumentError, type AimassError } from '@aimass/errors';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ModelInstance } from '../inference/execution/model-instance.js';
import { DirectScheduler } from '../inference/scheduling/direct-scheduler.js';
import type { Scheduler } from '../inference/scheduling/scheduler.js';
import type { ServableVersion } from '../inference/types.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { OrtRepository } from '../repositories/ort.repository.js';
import { RegistryRepository } from '../repositories/registry.repository.js';

/** A version that passed its digest check and has an instance behind a scheduler. */
export interface LoadedVersion {
  readonly version: ServableVersion;
  readonly scheduler: Scheduler;
  readonly instance: ModelInstance;
}

/** Alias and default selectors are re-resolved this often; registry alias events also invalidate. */
const MOVING_SELECTOR_TTL_MS = 1000;
const PINNED_SELECTOR_TTL_MS = 60_000;
const REFUSAL_TTL_MS = 30_000;

/**
 * Repository management for serving (Triton's first layer): which version a name plus selector
 * means, and which versions are loaded. A version is loaded once, on first use; its artifact is
 * refused, and stays refused, when its bytes do not hash to the SHA-256 the registry recorded.
 * The store owns every loaded instance and closes them at shutdown.
 */
@Injectable()
export class ModelVersionStore implements OnModuleDestroy {
  private readonly logger = new Logger(ModelVersionStore.name);
  private readonly resolutions = new Map<string, { version: ServableVersion; expires: number }>();
  private readonly loaded = new Map<string, Promise<LoadedVersion>>();
  private readonly refused = new Map<string, { error: AimassError; until: number }>();

  constructor(
    private readonly registry: RegistryRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly ort: OrtRepository,
  ) {}

  async acquire(model: string, selector: string): Promise<LoadedVersion> {
    if (!model) throw new InvalidArgumentError('model_name is empty');
    const version = await this.resolve(model, selector ?? '');
    return this.load(version);
  }

  async resolve(model: string, selector: string): Promise<ServableVersion> {
    const key = `${model}\u0000${selector}`;
    const cached = this.resolutions.get(key);
    if (cached && cached.expires > Date.now()) return cached.version;
    const version = await this.registry.resolve(model, selector);
    const ttl = /^[0-9]+$/.test(selector) ? PINNED_SELECTOR_TTL_MS : MOVING_SELECTOR_TTL_MS;
    this.resolutions.set(key, { version, expires: Date.now() + ttl });
    return version;
  }

  /** Forgets how selectors of `model` resolved (an alias moved); loaded versions stay loaded. */
  invalidate(model: string): void {
    for (const key of this.resolutions.keys()) if (key.startsWith(`${model}\u0000`)) this.resolutions.delete(key);
  }

  loadedVersions(): ServableVersion[] {
    return [...this.settled.values()].map((l) => l.version);
  }

  async onModuleDestroy(): Promise<void> {
    const all = await Promise.allSettled(this.loaded.values());
    for (const result of all) {
      if (result.status !== 'fulfilled') continue;
      await result.value.scheduler.stop();
      await result.value.instance.close().catch(() => undefined);
    }
  }

  private readonly settled = new Map<string, LoadedVersion>();

  private load(version: ServableVersion): Promise<LoadedVersion> {
    const key = `${version.model}:${version.version}`;
    const refusal = this.refused.get(key);
    if (refusal && refusal.until > Date.now()) return Promise.reject(refusal.error);
    let loading = this.loaded.get(key);
    if (!loading) {
      loading = this.open(version).then(
        (loaded) => {
          this.settled.set(key, loaded);
          return loaded;
        },
        (err: unknown) => {
          this.loaded.delete(key);
          if (err instanceof FailedPreconditionError) this.refused.set(key, { error: err, until: Date.now() + REFUSAL_TTL_MS });
          throw err;
        },
      );
      this.loaded.set(key, loading);
    }
    return loading;
  }

  private async open(version: ServableVersion): Promise<LoadedVersion> {
    const label = `model "${version.model}" version ${version.version}`;
    if (version.format !== 'onnx') throw new FailedPreconditionError(`${label} is ${version.format}; only ONNX models can be served so far`);
    const bytes = await this.artifacts.fetch(version.artifact_key);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (digest !== version.sha256) {
      this.logger.error({ model: version.model, version: version.version, expected: version.sha256, actual: digest }, 'artifact digest mismatch; version refused');
      throw new FailedPreconditionError(
        `${label} is refused: its artifact hashes to ${digest} but the registry recorded ${version.sha256}; push the model again`,
      );
    }
    const instance = await this.ort.open(bytes, label);
    this.logger.log({ model: version.model, version: version.version, bytes: bytes.length }, 'model version loaded');
    return { version, instance, scheduler: new DirectScheduler(instance, label) };
  }
}
