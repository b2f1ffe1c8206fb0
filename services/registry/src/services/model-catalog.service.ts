import { parseInput } from '@aimass/contracts';
import { parseModelCard } from '@aimass/model-card';
import { FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError } from '@aimass/errors';
import type { AimassConfig } from '@aimass/config';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { searchModels, type ModelPage } from '../search/model-search.js';
import { withoutOutbox, type ModelRecord, type Revisioned } from '../records/records.js';
import {
  createModelSchema,
  ListModelsQuerySchema,
  modelNameSchema,
  updateModelSchema,
  type CreateModelInput,
  type NameRules,
} from '../dtos/registry.dto.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { RegistryJournal } from './registry-journal.js';

export const MAX_CAS_ATTEMPTS = 64;

function isGeneratedCard(text: string): boolean {
  try {
    return parseModelCard(text, { allowVerified: true }).metadata.generated_by !== undefined;
  } catch {
    return false;
  }
}

/** Models: create, read, update, search. Every write is a compare-and-set on `models.<name>`. */
@Injectable()
export class ModelCatalogService {
  readonly nameRules: NameRules;

  constructor(
    private readonly metadata: ModelMetadataRepository,
    private readonly journal: RegistryJournal,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {
    this.nameRules = config.registry;
  }

  modelName(input: string): string {
    return parseInput(modelNameSchema(this.nameRules), input, 'model name');
  }

  async createModel(input: unknown, actor: string): Promise<ModelRecord> {
    const request = parseInput(createModelSchema(this.nameRules), input, 'CreateModel request');
    const { record, created } = await this.ensureModel(request, actor);
    if (!created)
      throw new FailedPreconditionError(`model "${request.name}" already exists; change it with UpdateModel`);
    return record;
  }

  async getModel(nameInput: string): Promise<ModelRecord> {
    return withoutOutbox((await this.getRevisioned(this.modelName(nameInput))).value);
  }

  async getRevisioned(name: string): Promise<Revisioned<ModelRecord>> {
    const model = await this.metadata.getModel(name);
    if (!model) throw new NotFoundError(`model "${name}" does not exist`);
    return model;
  }

  async updateModel(input: unknown, actor: string): Promise<ModelRecord> {
    const request = parseInput(updateModelSchema(this.nameRules), input, 'UpdateModel request');
    const fields = [...new Set(request.update_mask)];
    const changes = Object.fromEntries(fields.map((f) => [f, request[f]]));
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.getRevisioned(request.name);
      const announced = {
        ...changes,
        ...(fields.includes('model_card') ? { model_card: `${request.model_card.length} characters` } : {}),
      };
      const { events } = this.journal;
      const next: ModelRecord = this.journal.stage(
        { ...current.value, ...changes, updated_at: new Date().toISOString() },
        events.modelUpdated({ model: request.name, fields, changes: announced }),
        events.audit(actor, 'model.update', `models/${request.name}`, { fields }),
      );
      const revision = await this.metadata.updateModel(next, current.revision);
      if (revision) {
        await this.journal.flush({ model: next.name }, { value: next, revision });
        return withoutOutbox(next);
      }
    }
    throw new InternalError(`could not update "${request.name}": too much contention`);
  }

  async listModels(queryInput: unknown): Promise<ModelPage> {
    const query = parseInput(ListModelsQuerySchema, queryInput ?? {}, 'ListModels request');
    const { defaultPageSize, maxPageSize } = this.config.registry;
    const size = query.page_size > 0 ? query.page_size : defaultPageSize;
    if (size > maxPageSize)
      throw new InvalidArgumentError(
        `page_size ${size} is over the limit of ${maxPageSize} (AIMASS_REGISTRY_MAX_PAGE_SIZE)`,
      );
    const all = (await this.metadata.listModels()).map(withoutOutbox);
    return searchModels(all, query, size);
  }

  /** Returns the model, creating it when absent. `created` tells whether this call created it. */
  async ensureModel(
    input: Partial<CreateModelInput> & { name: string },
    actor: string,
  ): Promise<{ record: ModelRecord; created: boolean }> {
    const existing = await this.metadata.getModel(input.name);
    if (existing) return { record: existing.value, created: false };
    const now = new Date().toISOString();
    const { events } = this.journal;
    const fresh: ModelRecord = {
      name: input.name,
      description: input.description ?? '',
      tags: input.tags ?? {},
      owner: input.owner || actor,
      framework: input.framework ?? '',
      model_card: input.model_card ?? '',
      created_at: now,
      updated_at: now,
      latest_version: 0,
      aliases: {},
    };
    const record = this.journal.stage(
      fresh,
      events.modelCreated({ model: fresh.name, description: fresh.description }),
      events.audit(actor, 'model.create', `models/${fresh.name}`),
    );
    const revision = await this.metadata.createModel(record);
    if (revision) {
      await this.journal.flush({ model: record.name }, { value: record, revision });
      return { record: fresh, created: true };
    }
    const raced = await this.metadata.getModel(input.name);
    if (!raced) throw new InternalError(`model "${input.name}" vanished while being created`);
    return { record: raced.value, created: false };
  }

  /**
   * A card that came with a push becomes the model's card when the model has none or its card was
   * generated too (front matter `generated_by`): a trained model's card follows its latest trained
   * version, and a card someone wrote by hand is never replaced.
   */
  async adoptPushedCard(name: string, card: string, version: number, actor: string): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.getRevisioned(name);
      if (current.value.model_card === card) return;
      if (current.value.model_card !== '' && !isGeneratedCard(current.value.model_card)) return;
      const { events } = this.journal;
      const fields = ['model_card'];
      const next: ModelRecord = this.journal.stage(
        { ...current.value, model_card: card, updated_at: new Date().toISOString() },
        events.modelUpdated({ model: name, fields, changes: { model_card: `${card.length} characters` } }),
        events.audit(actor, 'model.update', `models/${name}`, { fields, from_version: version }),
      );
      const revision = await this.metadata.updateModel(next, current.revision);
      if (revision) {
        await this.journal.flush({ model: name }, { value: next, revision });
        return;
      }
    }
    throw new InternalError(`could not set the card of "${name}": too much contention`);
  }

  /**
   * Writes the card VerifyModelCard marked, provided the card is still the one it verified (an
   * UpdateModel in between wins, and the caller is told to verify again).
   */
  async setVerifiedCard(
    name: string,
    verifiedCard: string,
    card: string,
    actor: string,
    details: Record<string, number>,
  ): Promise<ModelRecord> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.getRevisioned(name);
      if (current.value.model_card !== verifiedCard)
        throw new FailedPreconditionError(
          `the card of "${name}" changed while its results were being re-run; verify again`,
        );
      const { events } = this.journal;
      const fields = ['model_card'];
      const next: ModelRecord = this.journal.stage(
        { ...current.value, model_card: card, updated_at: new Date().toISOString() },
        events.modelUpdated({ model: name, fields, changes: { model_card: `${card.length} characters` } }),
        events.audit(actor, 'model.card.verify', `models/${name}`, details),
      );
      const revision = await this.metadata.updateModel(next, current.revision);
      if (revision) {
        await this.journal.flush({ model: name }, { value: next, revision });
        return withoutOutbox(next);
      }
    }
    throw new InternalError(`could not write the verified card of "${name}": too much contention`);
  }

  async raiseLatest(name: string, version: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.getRevisioned(name);
      if (current.value.latest_version >= version) return;
      const next = { ...current.value, latest_version: version, updated_at: new Date().toISOString() };
      if (await this.metadata.updateModel(next, current.revision)) return;
    }
    throw new InternalError(
      `could not record version ${version} as latest of "${name}": too much contention`,
    );
  }
}
