import { parseInput } from '@aimass/contracts';
import { FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import type { AliasChangeRecord } from '../records/records.js';
import { AliasNameSchema } from '../dtos/registry.dto.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { MAX_CAS_ATTEMPTS, ModelCatalogService } from './model-catalog.service.js';
import { RegistryJournal } from './registry-journal.js';

export interface AliasMove {
  model: string;
  alias: string;
  version: number;
  previous_version: number;
}

/**
 * Aliases live in the model record, so one CAS moves one alias. Every move is also kept as an
 * entry of the alias's history, keyed by the model revision that committed it.
 */
@Injectable()
export class AliasService {
  constructor(
    private readonly metadata: ModelMetadataRepository,
    private readonly catalog: ModelCatalogService,
    private readonly journal: RegistryJournal,
  ) {}

  async setAlias(modelInput: string, aliasInput: string, version: number, actor: string): Promise<AliasMove> {
    const name = this.catalog.modelName(modelInput);
    const alias = parseInput(AliasNameSchema, aliasInput, 'alias');
    if (!Number.isInteger(version) || version < 1)
      throw new InvalidArgumentError(`version must be a positive integer, got ${version}`);
    await this.requireReady(name, version);
    const moved = await this.moveAlias(name, alias, version, actor);
    // A concurrent archive may have committed between the check and the move: undo rather than
    // leave an alias on a version that cannot be served.
    const after = await this.metadata.getVersion(name, version);
    if (after?.state !== 'READY') {
      await this.moveAlias(name, alias, moved.previous_version, actor).catch(() => undefined);
      throw new FailedPreconditionError(
        `version ${version} of "${name}" became ${after?.state ?? 'absent'} while the alias moved; the alias was put back`,
      );
    }
    return moved;
  }

  async deleteAlias(modelInput: string, aliasInput: string, actor: string): Promise<AliasMove> {
    const name = this.catalog.modelName(modelInput);
    const alias = parseInput(AliasNameSchema, aliasInput, 'alias');
    return this.moveAlias(name, alias, 0, actor);
  }

  async history(modelInput: string, aliasInput: string): Promise<AliasChangeRecord[]> {
    const name = this.catalog.modelName(modelInput);
    const alias = aliasInput ? parseInput(AliasNameSchema, aliasInput, 'alias') : '';
    await this.catalog.getRevisioned(name);
    return this.metadata.listAliasChanges(name, alias);
  }

  /** Points `alias` at `version` (0 deletes it) with a CAS loop on the model record. */
  async moveAlias(name: string, alias: string, version: number, actor: string): Promise<AliasMove> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.catalog.getRevisioned(name);
      const previous = current.value.aliases[alias] ?? 0;
      if (version === 0 && previous === 0) throw new NotFoundError(`model "${name}" has no alias "${alias}"`);
      const aliases = { ...current.value.aliases };
      if (version === 0) delete aliases[alias];
      else aliases[alias] = version;
      const time = new Date().toISOString();
      const moved = { model: name, alias, version, previous_version: previous };
      const { events } = this.journal;
      const next = this.journal.stage(
        { ...current.value, aliases, updated_at: time },
        {
          ...events.aliasMoved(moved),
          row: this.metadata.aliasChangeRow({ ...moved, actor, time }, current.revision),
        },
        events.audit(actor, version === 0 ? 'alias.delete' : 'alias.set', `models/${name}/aliases/${alias}`, {
          version,
          previous_version: previous,
        }),
      );
      const revision = await this.metadata.updateModel(next, current.revision);
      if (revision) {
        await this.journal.flush({ model: name }, { value: next, revision });
        return moved;
      }
    }
    throw new InternalError(`could not move alias "${alias}" of "${name}": too much contention`);
  }

  private async requireReady(name: string, version: number): Promise<void> {
    const target = await this.metadata.getVersion(name, version);
    if (!target) throw new NotFoundError(`model "${name}" has no version ${version}`);
    if (target.state !== 'READY')
      throw new FailedPreconditionError(
        `version ${version} of "${name}" is ${target.state}; only READY versions can take an alias`,
      );
  }
}
