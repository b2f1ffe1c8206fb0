import type { oip } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { Injectable, Logger } from '@nestjs/common';
import { RegistryRepository } from '../repositories/registry.repository.js';
import { ModelVersionStore } from './model-version-store.service.js';

/**
 * The OIP repository extension. The repository is the registry: the index lists every registry
 * model (UNAVAILABLE until loaded here) and every version this process loads or refused; load means
 * the model's default version (`production`, else the latest); unload drains and unloads all of the
 * model's loaded versions (a model with none is already unloaded: success). `repository_name` must be empty: there is one repository.
 */
@Injectable()
export class ModelRepositoryService {
  private readonly logger = new Logger(ModelRepositoryService.name);

  constructor(
    private readonly store: ModelVersionStore,
    private readonly registry: RegistryRepository,
  ) {}

  async index(req: oip.RepositoryIndexRequest__Output): Promise<oip.RepositoryIndexResponse> {
    checkRepository(req.repository_name);
    const states = this.store.states();
    const entries: oip.RepositoryIndexResponse['models'] = states.map((s) => ({
      name: s.model,
      version: String(s.version),
      state: s.state,
      reason: s.reason,
    }));
    if (!req.ready) {
      const known = new Set(states.map((s) => s.model));
      let names: string[] = [];
      try {
        names = await this.registry.listModels();
      } catch (err) {
        this.logger.warn({ err }, 'registry model list unavailable; the index shows loaded versions only');
      }
      for (const name of names)
        if (!known.has(name)) entries!.push({ name, version: '', state: 'UNAVAILABLE', reason: 'unloaded' });
    }
    const models = (entries ?? []).filter((e) => !req.ready || e.state === 'READY');
    models.sort((a, b) =>
      a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : Number(a.version) - Number(b.version),
    );
    return { models };
  }

  async load(req: oip.RepositoryModelLoadRequest__Output): Promise<oip.RepositoryModelLoadResponse> {
    checkRepository(req.repository_name);
    if (!req.model_name) throw new InvalidArgumentError('model_name is empty');
    await this.store.loadModel(req.model_name);
    return {};
  }

  async unload(req: oip.RepositoryModelUnloadRequest__Output): Promise<oip.RepositoryModelUnloadResponse> {
    checkRepository(req.repository_name);
    if (!req.model_name) throw new InvalidArgumentError('model_name is empty');
    // Unloading a model that is not loaded succeeds, as in Triton: the requested state holds.
    await this.store.unloadModel(req.model_name);
    return {};
  }
}

function checkRepository(name: string): void {
  if (name)
    throw new InvalidArgumentError(
      `unknown repository "${name}"; aimass has one repository (the registry): leave repository_name empty`,
    );
}
