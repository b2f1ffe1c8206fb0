import { parseInput, type ArtifactFormat, type Signature } from '@aimass/contracts';
import type { AimassConfig } from '@aimass/config';
import {
  ConflictError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { signatureReaderFor } from '../signatures/artifact-signature.js';
import {
  aliasesOf,
  versionView,
  viewOf,
  type JobClaimRecord,
  type ModelRecord,
  type Revisioned,
  type VersionRecord,
  type VersionState,
  type VersionView,
} from '../records/records.js';
import {
  pushHeaderSchema,
  ReferenceStatisticsSchema,
  VersionSelectorSchema,
  VersionStateSchema,
  type PushHeader,
  type ReferenceStatistics,
} from '../dtos/registry.dto.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { AliasService } from './alias.service.js';
import { MAX_CAS_ATTEMPTS, ModelCatalogService } from './model-catalog.service.js';
import { PushStream, type PushPart } from './push-stream.js';
import { RegistryJournal } from './registry-journal.js';

export type { PushPart } from './push-stream.js';

/** Which state changes are allowed; DELETED is final. */
/** How long a job's claim on its version may stay unsettled before another push of the job takes it over (see claimJob). */
const JOB_CLAIM_STALE_MS = 120_000;

const TRANSITIONS: Record<VersionState, readonly VersionState[]> = {
  READY: ['ARCHIVED', 'DELETED'],
  ARCHIVED: ['READY', 'DELETED'],
  DELETED: [],
};

/**
 * Versions: push, read, state changes and reference statistics.
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
    private readonly catalog: ModelCatalogService,
    private readonly aliases: AliasService,
    private readonly journal: RegistryJournal,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  /**
   * Streams an artifact into storage and commits it as the next version. On any failure before the
   * commit, the stored bytes are removed; nothing becomes visible. `mayWrite` checks the caller's
   * grant on the model the header names, before a byte is stored.
   */
  async pushVersion(
    parts: AsyncIterable<PushPart>,
    actor: string,
    isCancelled: () => boolean = () => false,
    mayWrite: (model: string) => void = () => undefined,
  ): Promise<VersionView> {
    let limit = this.limitFor('onnx');
    const stream = new PushStream(parts, 'PushVersion', 'artifact', (bytes) => limit.refuse(bytes));
    const rawHeader = await stream.header('model, format');
    const header = parseInput(pushHeaderSchema(this.catalog.nameRules), rawHeader, 'push header');
    mayWrite(header.model);
    limit = this.limitFor(header.format);
    if (header.size_bytes > limit.bytes) throw limit.refuse(header.size_bytes);
    if (header.lineage.parent_version)
      await this.requireVersion(header.model, header.lineage.parent_version, 'parent_version');

    const upload = this.artifacts.beginUpload(this.artifacts.keyFor(header.model, randomUUID()));
    const reader = signatureReaderFor(header.format);
    let signature: Signature;
    let stored;
    try {
      await stream.chunks(limit.bytes, async (bytes) => {
        await Promise.all([upload.write(bytes), reader.push(bytes)]);
      });
      stream.checkComplete(isCancelled(), header.size_bytes);
      signature = await reader.finish();
      stored = await upload.complete();
      if (header.sha256 && header.sha256 !== stored.sha256) {
        throw new InvalidArgumentError(
          `SHA-256 mismatch: the client announced ${header.sha256} but the bytes hash to ${stored.sha256}; nothing was stored`,
        );
      }
    } catch (err) {
      reader.dispose();
      await upload.abort();
      throw err;
    }
    const statisticsKey = header.reference_statistics
      ? await this.storeStatistics(header.model, 0, header.reference_statistics)
      : undefined;
    const jobId = header.lineage.source_job_id;
    let claim: Awaited<ReturnType<typeof this.claimJob>> | undefined;
    try {
      claim = jobId ? await this.claimJob(header.model, jobId) : undefined;
    } catch (err) {
      await this.removeArtifacts({ artifact_key: upload.key, reference_statistics_key: statisticsKey });
      throw err;
    }
    if (claim && 'registered' in claim) {
      // The job registered this model before (a redelivered job, maybe on another node): that version
      // stands, and this push's bytes go.
      await this.removeArtifacts({ artifact_key: upload.key, reference_statistics_key: statisticsKey });
      const model = await this.catalog.getModel(header.model);
      return versionView(claim.registered, aliasesOf(model, claim.registered.version));
    }
    try {
      const view = await this.commitVersion(header, upload.key, stored, signature, statisticsKey, actor);
      if (claim) await this.settleJobClaim(header.model, jobId, claim.revision, view.version);
      return view;
    } catch (err) {
      if (claim) await this.releaseJobClaim(header.model, jobId, claim.revision);
      throw err;
    }
  }

  /**
   * Claims the one version job `jobId` may register for `model`, or returns the version it
   * registered already. A claim another push holds (the same job on two nodes at once) is refused
   * with ABORTED for the caller to retry, unless its push stopped before its commit
   * (JOB_CLAIM_STALE_MS ago): then the versions the model has are searched for the job, and the
   * claim is taken over when none has it.
   */
  private async claimJob(
    model: string,
    jobId: string,
  ): Promise<{ revision: number } | { registered: VersionRecord }> {
    const pending = (): JobClaimRecord => ({
      job_id: jobId,
      version: 0,
      claimed_at: new Date().toISOString(),
    });
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.metadata.getJobClaim(model, jobId);
      if (!current) {
        const revision = await this.metadata.createJobClaim(model, pending());
        if (revision) return { revision };
        continue;
      }
      const { value } = current;
      if (value.version) {
        const registered = await this.metadata.getVersion(model, value.version);
        if (registered && registered.state !== 'DELETED') return { registered };
      } else if (Date.now() - Date.parse(value.claimed_at) < JOB_CLAIM_STALE_MS) {
        throw new ConflictError(
          `job ${jobId} is registering a version of "${model}" in another push right now; retry once it has finished`,
        );
      } else {
        const earlier = jobVersion(await this.metadata.listVersions(model), jobId);
        if (earlier) {
          await this.metadata.updateJobClaim(model, { ...value, version: earlier.version }, current.revision);
          return { registered: earlier };
        }
      }
      const revision = await this.metadata.updateJobClaim(model, pending(), current.revision);
      if (revision) return { revision };
    }
    throw new ConflictError(`could not claim the version of job ${jobId} on "${model}": too much contention`);
  }

  /**
   * After a failed commit: the claim is given up, unless the version was committed before a later
   * step failed; then it records that version, so a retry of the push gets it.
   */
  private async releaseJobClaim(model: string, jobId: string, revision: number): Promise<void> {
    try {
      const committed = jobVersion(await this.metadata.listVersions(model), jobId);
      if (committed) await this.settleJobClaim(model, jobId, revision, committed.version);
      else await this.metadata.removeJobClaim(model, jobId, revision);
    } catch (err) {
      this.logger.warn(
        { err },
        `could not release job ${jobId}'s claim on "${model}"; it goes stale in ${JOB_CLAIM_STALE_MS / 1000} s`,
      );
    }
  }

  /** Records the committed version in the job's claim; a lost update is harmless (a stale claim is resolved by the search above). */
  private async settleJobClaim(
    model: string,
    jobId: string,
    revision: number,
    version: number,
  ): Promise<void> {
    const settled = await this.metadata
      .updateJobClaim(model, { job_id: jobId, version, claimed_at: new Date().toISOString() }, revision)
      .catch(() => 0);
    if (!settled)
      this.logger.warn(
        `could not record version ${version} of "${model}" as job ${jobId}'s; a later push of the job finds it by its lineage`,
      );
  }

  /** Resolves '' (production alias, else the latest READY version), a number, or an alias name. */
  async getVersion(modelInput: string, selectorInput: string): Promise<VersionView> {
    const model = await this.catalog.getModel(modelInput);
    const selector = parseInput(VersionSelectorSchema, selectorInput ?? '', 'version');
    // The model's tags come along: a served version's `monitor.detector` may be set on its model.
    if (selector === '' && model.aliases.production === undefined)
      return { ...(await this.latestReady(model)), model_tags: model.tags };
    const number = resolveSelector(model, selector);
    const version = await this.metadata.getVersion(model.name, number);
    if (!version) throw new NotFoundError(`model "${model.name}" has no version ${number}`);
    return { ...viewOf(model, version), model_tags: model.tags };
  }

  async listVersions(modelInput: string, includeDeleted = false): Promise<VersionView[]> {
    const model = await this.catalog.getModel(modelInput);
    return (await this.metadata.listVersions(model.name))
      .filter((v) => includeDeleted || v.state !== 'DELETED')
      .map((v) => viewOf(model, v));
  }

  /**
   * READY <-> ARCHIVED, either to DELETED. Refused while an alias points at the version. DELETED
   * removes the artifact once the state is committed.
   */
  async setVersionState(
    modelInput: string,
    version: number,
    stateInput: string,
    actor: string,
  ): Promise<VersionView> {
    const name = this.catalog.modelName(modelInput);
    const state = parseInput(VersionStateSchema, stateInput, 'state');
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const model = (await this.catalog.getRevisioned(name)).value;
      const current = await this.metadata.getVersionRevisioned(name, version);
      if (!current) throw new NotFoundError(`model "${name}" has no version ${version}`);
      const from = current.value.state;
      if (from === state) return viewOf(model, current.value);
      if (!TRANSITIONS[from].includes(state))
        throw new FailedPreconditionError(
          `version ${version} of "${name}" is ${from}; it cannot become ${state}`,
        );
      if (state !== 'READY') this.refuseWhileAliased(model, version, state);
      const { events } = this.journal;
      const next: VersionRecord = this.journal.stage(
        { ...current.value, state, updated_at: new Date().toISOString() },
        events.versionStateChanged({ model: name, version, state, previous_state: from }),
        events.audit(actor, `version.${state.toLowerCase()}`, `models/${name}/versions/${version}`, {
          previous_state: from,
        }),
      );
      const revision = await this.metadata.updateVersion(next, current.revision);
      if (!revision) continue;
      if (state !== 'READY') await this.undoIfAliasedMeanwhile(name, version, state, current.value);
      if (state === 'DELETED') await this.removeArtifacts(next);
      await this.journal.flush({ model: name, version }, { value: next, revision });
      return viewOf(model, next);
    }
    throw new InternalError(`could not change the state of ${name} v${version}: too much contention`);
  }

  async setReferenceStatistics(
    modelInput: string,
    version: number,
    statisticsInput: unknown,
    actor: string,
  ): Promise<VersionView> {
    const name = this.catalog.modelName(modelInput);
    const statistics = parseInput(ReferenceStatisticsSchema, statisticsInput, 'reference statistics');
    const key = await this.storeStatistics(name, version, statistics);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = await this.metadata.getVersionRevisioned(name, version);
      if (!current) throw new NotFoundError(`model "${name}" has no version ${version}`);
      if (current.value.state === 'DELETED')
        throw new FailedPreconditionError(`version ${version} of "${name}" is DELETED`);
      const { events } = this.journal;
      const next: VersionRecord = this.journal.stage(
        { ...current.value, reference_statistics_key: key, updated_at: new Date().toISOString() },
        events.statisticsAttached({ model: name, version, features: statistics.features.length }),
        events.audit(actor, 'version.statistics', `models/${name}/versions/${version}`, {
          features: statistics.features.length,
        }),
      );
      const revision = await this.metadata.updateVersion(next, current.revision);
      if (!revision) continue;
      const replaced = current.value.reference_statistics_key;
      if (replaced)
        await this.artifacts
          .remove(replaced)
          .catch((err: unknown) =>
            this.logger.warn({ err }, `could not remove replaced statistics ${replaced}`),
          );
      await this.journal.flush({ model: name, version }, { value: next, revision });
      return viewOf(await this.catalog.getModel(name), next);
    }
    throw new InternalError(`could not attach statistics to ${name} v${version}: too much contention`);
  }

  async getReferenceStatistics(modelInput: string, selector: string): Promise<ReferenceStatistics> {
    const version = await this.getVersion(modelInput, selector);
    if (!version.reference_statistics_key) {
      throw new NotFoundError(
        `version ${version.version} of "${version.model}" has no reference statistics; attach them with SetReferenceStatistics`,
      );
    }
    return this.artifacts.getJson<ReferenceStatistics>(version.reference_statistics_key);
  }

  private async commitVersion(
    header: PushHeader,
    artifactKey: string,
    stored: { size: number; sha256: string },
    signature: Signature,
    statisticsKey: string | undefined,
    actor: string,
  ): Promise<VersionView> {
    const { record: model } = await this.catalog.ensureModel(
      {
        name: header.model,
        description: header.description,
        owner: header.owner,
        framework: header.framework || header.format,
        model_card: header.model_card,
      },
      actor,
    );
    const { events } = this.journal;
    let number = model.latest_version + 1;
    let committed: Revisioned<VersionRecord> | undefined;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS * 4 && !committed; attempt++, number++) {
      const record: VersionRecord = {
        model: header.model,
        version: number,
        state: 'READY',
        format: header.format,
        size_bytes: stored.size,
        sha256: stored.sha256,
        artifact_key: artifactKey,
        signature,
        created_at: new Date().toISOString(),
        tags: header.tags,
        lineage: header.lineage,
        ...(statisticsKey ? { reference_statistics_key: statisticsKey } : {}),
      };
      const candidate = this.journal.stage(
        record,
        events.versionCreated({
          model: record.model,
          version: number,
          format: record.format,
          sha256: record.sha256,
          size_bytes: record.size_bytes,
          artifact_key: artifactKey,
          signature,
        }),
        events.audit(actor, 'version.create', `models/${record.model}/versions/${number}`, {
          sha256: record.sha256,
          size_bytes: record.size_bytes,
        }),
      );
      const revision = await this.metadata.createVersion(candidate);
      if (revision) committed = { value: candidate, revision };
    }
    if (!committed)
      throw new InternalError(`could not assign a version number to "${header.model}" after many attempts`);
    const { version } = committed.value;
    await this.catalog.raiseLatest(header.model, version);
    await this.journal.flush({ model: header.model, version }, committed);
    if (header.model_card)
      await this.catalog.adoptPushedCard(header.model, header.model_card, version, actor);
    if (header.alias) await this.aliases.moveAlias(header.model, header.alias, version, actor);
    return versionView(committed.value, header.alias ? [header.alias] : []);
  }

  private async latestReady(model: ModelRecord): Promise<VersionView> {
    for (let n = model.latest_version; n >= 1; n--) {
      const version = await this.metadata.getVersion(model.name, n);
      if (version?.state === 'READY') return viewOf(model, version);
    }
    throw new NotFoundError(
      `model "${model.name}" has no READY versions${model.latest_version ? '' : ' yet'}`,
    );
  }

  private refuseWhileAliased(model: ModelRecord, version: number, state: VersionState): void {
    const pointing = aliasesOf(model, version);
    if (pointing.length > 0) {
      throw new FailedPreconditionError(
        `version ${version} of "${model.name}" cannot become ${state}: the alias${pointing.length > 1 ? 'es' : ''} ${pointing.join(', ')} point${pointing.length > 1 ? '' : 's'} at it; move or delete ${pointing.length > 1 ? 'them' : 'it'} first`,
      );
    }
  }

  /** An alias set concurrently with the state change wins: the version goes back to what it was. */
  private async undoIfAliasedMeanwhile(
    name: string,
    version: number,
    state: VersionState,
    before: VersionRecord,
  ): Promise<void> {
    const model = await this.catalog.getModel(name);
    if (aliasesOf(model, version).length === 0) return;
    const now = await this.metadata.getVersionRevisioned(name, version);
    if (now) await this.metadata.updateVersion(before, now.revision);
    this.refuseWhileAliased(model, version, state);
  }

  private async removeArtifacts(
    version: Pick<VersionRecord, 'artifact_key' | 'reference_statistics_key'>,
  ): Promise<void> {
    for (const key of [version.artifact_key, version.reference_statistics_key]) {
      if (key)
        await this.artifacts
          .remove(key)
          .catch((err: unknown) =>
            this.logger.warn({ err }, `could not remove ${key} of a deleted version; it is unreachable now`),
          );
    }
  }

  private async requireVersion(name: string, version: number, what: string): Promise<void> {
    if (!(await this.metadata.getVersion(name, version)))
      throw new InvalidArgumentError(`${what} ${version}: model "${name}" has no such version`);
  }

  private async storeStatistics(
    name: string,
    version: number,
    statistics: ReferenceStatistics,
  ): Promise<string> {
    const key = this.artifacts.statisticsKeyFor(name, version, randomUUID());
    await this.artifacts.putJson(key, statistics);
    return key;
  }

  /** The size limit for a format's artifacts, and the refusal that names its setting. */
  private limitFor(format: ArtifactFormat): {
    bytes: number;
    refuse: (bytes: number) => ResourceExhaustedError;
  } {
    const [bytes, setting] =
      format === 'onnx-external'
        ? [this.config.maxExternalArtifactBytes, 'AIMASS_MAX_EXTERNAL_ARTIFACT_BYTES']
        : [this.config.maxArtifactBytes, 'AIMASS_MAX_ARTIFACT_BYTES'];
    return {
      bytes,
      refuse: (size) =>
        new ResourceExhaustedError(
          `${format} artifact of ${size} bytes exceeds the registry limit of ${bytes} bytes (${setting})`,
        ),
    };
  }
}

function resolveSelector(model: ModelRecord, selector: string): number {
  if (selector === '') return model.aliases.production!;
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

/** The live version whose lineage names job `jobId`, if any. */
function jobVersion(versions: readonly VersionRecord[], jobId: string): VersionRecord | undefined {
  return versions.find((v) => v.lineage.source_job_id === jobId && v.state !== 'DELETED');
}
