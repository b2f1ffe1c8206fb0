import { parseInput } from '@aimass/contracts';
import { FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import type { AimassConfig } from '@aimass/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { viewOf, type ModelRecord, type VersionRecord, type VersionView } from '../domain/records.js';
import { readArtifactSignature } from '../domain/artifact-signature.js';
import { AliasNameSchema, ModelNameSchema, PushHeaderSchema, VersionSelectorSchema, type PushHeader } from '../dtos/registry.dto.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { RegistryEventsRepository } from '../repositories/registry-events.repository.js';

/** One message of a push: the header first, then artifact chunks. */
export interface PushPart {
  readonly header?: unknown;
  readonly chunk?: Uint8Array;
}

const MAX_CAS_ATTEMPTS = 64;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

/**
 * The model registry: models, immutable versions and aliases.
 * Ordering guarantees: an artifact is fully stored and its digest checked before its version's
 * metadata is written; the KV `create` of `versions.<model>.<n>` is the commit point that assigns
 * number n, so concurrent pushes get distinct, gap-free numbers.
 */
@Injectable()
export class RegistryService {
  private readonly logger = new Logger(RegistryService.name);

  constructor(
    private readonly metadata: ModelMetadataRepository,
    private readonly artifacts: ArtifactRepository,
    private readonly events: RegistryEventsRepository,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  async createModel(input: { name: string; description?: string; tags?: Record<string, string> }, actor: string): Promise<ModelRecord> {
    const name = parseInput(ModelNameSchema, input.name, 'model name');
    const { record, created } = await this.ensureModel(name, input.description ?? '', input.tags ?? {});
    if (!created) throw new FailedPreconditionError(`model "${name}" already exists`);
    await this.audit(actor, 'model.create', `models/${name}`);
    return record;
  }

  async getModel(nameInput: string): Promise<ModelRecord> {
    const name = parseInput(ModelNameSchema, nameInput, 'model name');
    const model = await this.metadata.getModel(name);
    if (!model) throw new NotFoundError(`model "${name}" does not exist`);
    return model.value;
  }

  async listModels(query: { name_prefix?: string; page_size?: number; page_token?: string }): Promise<{ models: ModelRecord[]; next_page_token: string }> {
    const size = query.page_size && query.page_size > 0 ? query.page_size : DEFAULT_PAGE_SIZE;
    if (size > MAX_PAGE_SIZE) throw new InvalidArgumentError(`page_size ${size} is over the limit of ${MAX_PAGE_SIZE}`);
    const after = query.page_token ? decodePageToken(query.page_token) : '';
    const prefix = query.name_prefix ?? '';
    const all = (await this.metadata.listModels())
      .filter((m) => m.name.startsWith(prefix) && m.name > after)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const page = all.slice(0, size);
    const next = all.length > size ? Buffer.from(page.at(-1)!.name).toString('base64url') : '';
    return { models: page, next_page_token: next };
  }

  /**
   * Streams an artifact into storage and commits it as the next version. On any failure before the
   * commit, the stored bytes are removed; nothing becomes visible.
   */
  async pushVersion(parts: AsyncIterable<PushPart>, actor: string, isCancelled: () => boolean = () => false): Promise<VersionView> {
    const iterator = parts[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done || !first.value.header) {
      throw new InvalidArgumentError('the first PushVersion message must carry a header (model, format, ...); chunks follow it');
    }
    const header = parseInput(PushHeaderSchema, first.value.header, 'push header');
    if (header.size_bytes > this.config.maxArtifactBytes) throw this.tooLarge(header.size_bytes);

    const upload = this.artifacts.beginUpload(this.artifacts.keyFor(header.model, randomUUID()));
    const kept: Buffer[] = [];
    let signature;
    let stored;
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const chunk = next.value.chunk;
        if (next.value.header) throw new InvalidArgumentError('only the first PushVersion message may carry a header');
        if (!chunk || chunk.length === 0) continue;
        if (upload.bytesWritten + chunk.length > this.config.maxArtifactBytes) throw this.tooLarge(upload.bytesWritten + chunk.length);
        kept.push(Buffer.from(chunk));
        await upload.write(chunk);
      }
      if (isCancelled()) throw new InvalidArgumentError('the push was cancelled by the client');
      if (upload.bytesWritten === 0) throw new InvalidArgumentError('the artifact is empty: send its bytes as chunk messages after the header');
      if (header.size_bytes && header.size_bytes !== upload.bytesWritten) {
        throw new InvalidArgumentError(`the header announced ${header.size_bytes} bytes but ${upload.bytesWritten} arrived; nothing was stored`);
      }
      signature = readArtifactSignature(header.format, Buffer.concat(kept));
      stored = await upload.complete();
      if (header.sha256 && header.sha256 !== stored.sha256) {
        throw new InvalidArgumentError(`SHA-256 mismatch: the client announced ${header.sha256} but the bytes hash to ${stored.sha256}; nothing was stored`);
      }
    } catch (err) {
      await upload.abort();
      throw err;
    }
    return this.commitVersion(header, upload.key, stored, signature, actor);
  }

  /** Resolves '' (production alias, else latest), a number, or an alias name to a version. */
  async getVersion(modelInput: string, selectorInput: string): Promise<VersionView> {
    const name = parseInput(ModelNameSchema, modelInput, 'model name');
    const selector = parseInput(VersionSelectorSchema, selectorInput ?? '', 'version');
    const model = await this.metadata.getModel(name);
    if (!model) throw new NotFoundError(`model "${name}" does not exist`);
    const number = resolveSelector(model.value, selector);
    const version = await this.metadata.getVersion(name, number);
    if (!version) throw new NotFoundError(`model "${name}" has no version ${number}`);
    return viewOf(model.value, version);
  }

  async listVersions(modelInput: string): Promise<VersionView[]> {
    const model = await this.getModel(modelInput);
    return (await this.metadata.listVersions(model.name)).map((v) => viewOf(model, v));
  }

  async setAlias(modelInput: string, aliasInput: string, version: number, actor: string): Promise<{ model: string; alias: string; version: number; previous_version: number }> {
    const name = parseInput(ModelNameSchema, modelInput, 'model name');
    const alias = parseInput(AliasNameSchema, aliasInput, 'alias');
    if (!Number.isInteger(version) || version < 1) throw new InvalidArgumentError(`version must be a positive integer, got ${version}`);
    const target = await this.metadata.getVersion(name, version);
    if (!target) throw new NotFoundError(`model "${name}" has no version ${version}`);
    if (target.state !== 'READY') throw new FailedPreconditionError(`version ${version} of "${name}" is ${target.state}; only READY versions can take an alias`);
    return this.moveAlias(name, alias, version, actor);
  }

  async deleteAlias(modelInput: string, aliasInput: string, actor: string): Promise<{ model: string; alias: string; version: number; previous_version: number }> {
    const name = parseInput(ModelNameSchema, modelInput, 'model name');
    const alias = parseInput(AliasNameSchema, aliasInput, 'alias');
    return this.moveAlias(name, alias, 0, actor);
  }

  private async commitVersion(
    header: PushHeader,
    artifactKey: string,
    stored: { size: number; sha256: string },
    signature: VersionRecord['signature'],
    actor: string,
  ): Promise<VersionView> {
    const { record: model } = await this.ensureModel(header.model, header.description, {}, actor);
    let number = model.latest_version + 1;
    let version: VersionRecord | undefined;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS * 4 && !version; attempt++, number++) {
      const candidate: VersionRecord = {
        model: header.model,
        version: number,
        state: 'READY',
        format: header.format as VersionRecord['format'],
        size_bytes: stored.size,
        sha256: stored.sha256,
        artifact_key: artifactKey,
        signature,
        created_at: new Date().toISOString(),
        tags: header.tags,
      };
      if (await this.metadata.createVersion(candidate)) version = candidate;
    }
    if (!version) throw new InternalError(`could not assign a version number to "${header.model}" after many attempts`);
    await this.raiseLatest(header.model, version.version);
    await this.publish('version created', () =>
      this.events.versionCreated({
        model: version.model,
        version: version.version,
        format: version.format,
        sha256: version.sha256,
        size_bytes: version.size_bytes,
        artifact_key: version.artifact_key,
        signature: version.signature,
      }),
    );
    await this.audit(actor, 'version.create', `models/${version.model}/versions/${version.version}`, { sha256: version.sha256, size_bytes: version.size_bytes });
    if (header.alias) await this.moveAlias(header.model, header.alias, version.version, actor);
    return { ...version, aliases: header.alias ? [header.alias] : [] };
  }

  /** Returns the model, creating it when absent. `created` tells whether this call created it. */
  private async ensureModel(name: string, description: string, tags: Record<string, string>, actor = 'system'): Promise<{ record: ModelRecord; created: boolean }> {
    const existing = await this.metadata.getModel(name);
    if (existing) return { record: existing.value, created: false };
    const now = new Date().toISOString();
    const record: ModelRecord = { name, description, tags, created_at: now, updated_at: now, latest_version: 0, aliases: {} };
    if (await this.metadata.createModel(record)) {
      await this.publish('model created', () => this.events.modelCreated({ model: name, description }));
      await this.audit(actor, 'model.create', `models/${name}`);
      return { record, created: true };
    }
    const raced = await this.metadata.getModel(name);
    if (!raced) throw new InternalError(`model "${name}" vanished while being created`);
    return { record: raced.value, created: false };
  }

  private async raiseLatest(name: string, version: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.metadata.getModel(name);
      if (!current) throw new InternalError(`model "${name}" vanished while committing version ${version}`);
      if (current.value.latest_version >= version) return;
      const next = { ...current.value, latest_version: version, updated_at: new Date().toISOString() };
      if (await this.metadata.updateModel(next, current.revision)) return;
    }
    throw new InternalError(`could not record version ${version} as latest of "${name}": too much contention`);
  }

  /** Points `alias` at `version` (0 deletes it) with a CAS loop on the model record. */
  private async moveAlias(name: string, alias: string, version: number, actor: string) {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.metadata.getModel(name);
      if (!current) throw new NotFoundError(`model "${name}" does not exist`);
      const previous = current.value.aliases[alias] ?? 0;
      if (version === 0 && previous === 0) throw new NotFoundError(`model "${name}" has no alias "${alias}"`);
      const aliases = { ...current.value.aliases };
      if (version === 0) delete aliases[alias];
      else aliases[alias] = version;
      const next = { ...current.value, aliases, updated_at: new Date().toISOString() };
      if (await this.metadata.updateModel(next, current.revision)) {
        const moved = { model: name, alias, version, previous_version: previous };
        await this.publish('alias moved', () => this.events.aliasMoved(moved));
        await this.audit(actor, version === 0 ? 'alias.delete' : 'alias.set', `models/${name}/aliases/${alias}`, { version, previous_version: previous });
        return moved;
      }
    }
    throw new InternalError(`could not move alias "${alias}" of "${name}": too much contention`);
  }

  private tooLarge(bytes: number): ResourceExhaustedError {
    return new ResourceExhaustedError(
      `artifact of ${bytes} bytes exceeds the registry limit of ${this.config.maxArtifactBytes} bytes (AIMASS_MAX_ARTIFACT_BYTES)`,
    );
  }

  private audit(actor: string, action: string, resource: string, details: Record<string, unknown> = {}): Promise<void> {
    return this.publish(`audit ${action}`, () => this.events.audit(actor, action, resource, details));
  }

  /**
   * Events are published after the KV commit. A failed publish is logged, not thrown: the write
   * happened and the caller must learn that. (A transactional outbox closes this gap later.)
   */
  private async publish(what: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      this.logger.error({ err }, `could not publish ${what}`);
    }
  }
}

function resolveSelector(model: ModelRecord, selector: string): number {
  if (selector === '') {
    const number = model.aliases.production ?? model.latest_version;
    if (number === 0) throw new NotFoundError(`model "${model.name}" has no versions yet`);
    return number;
  }
  if (/^[0-9]+$/.test(selector)) return Number(selector);
  const number = model.aliases[selector];
  if (number === undefined) {
    const known = Object.keys(model.aliases);
    throw new NotFoundError(
      `model "${model.name}" has no alias "${selector}"${known.length ? `; its aliases are ${known.join(', ')}` : '; it has no aliases'}`,
    );
  }
  return number;
}

function decodePageToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded || Buffer.from(decoded).toString('base64url') !== token) throw new InvalidArgumentError('page_token is not one this registry issued');
  return decoded;
}
