import { ConflictError, UnavailableError } from '@aimass/errors';
import { openKv } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  withoutOutbox,
  type AliasChangeRecord,
  type DatasetRecord,
  type JobClaimRecord,
  type Journaled,
  type KvRow,
  type ModelRecord,
  type RecordRef,
  type Revisioned,
  type VersionRecord,
} from '../records/records.js';

const modelKey = (name: string) => `models.${name}`;
const versionKey = (name: string, version: number) => `versions.${name}.${version}`;
/**
 * One key per alias change, named by the model record revision the change's compare-and-set was
 * made on. That is known before the commit (so the row can travel in the commit's outbox), and
 * unique and increasing across the commits of one model.
 */
const aliasChangeKey = (name: string, alias: string, baseRevision: number) =>
  `aliaslog.${name}.${alias}.${baseRevision}.on`;
/** KV lists keys as text; the revision orders them. */
const aliasChangeRevision = (key: string): number => Number(key.split('.').at(-2));
const datasetKey = (name: string, version: number) => `datasets.${name}.${version}`;
/** A job id may hold characters a KV key may not; its SHA-256 names the claim. */
const jobClaimKey = (name: string, jobId: string) =>
  `jobversions.${name}.${createHash('sha256').update(jobId).digest('hex').slice(0, 40)}`;
const recordKey = (ref: RecordRef) =>
  ref.version === undefined ? modelKey(ref.model) : versionKey(ref.model, ref.version);
/** How many times removeAnnounced rereads a record that keeps changing under it before it leaves the rest to a later pass. */
const MAX_OUTBOX_ATTEMPTS = 16;

/**
 * Registry metadata in NATS KV. Every write is a compare-and-set: `create` succeeds only when the
 * key is absent, `update` only when the caller names the current revision. Callers own the retry.
 */
@Injectable()
export class ModelMetadataRepository implements OnModuleInit {
  private kv!: KV;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async onModuleInit(): Promise<void> {
    this.kv = await openKv(this.nc);
  }

  getModel(name: string): Promise<Revisioned<ModelRecord> | null> {
    return this.read<ModelRecord>(modelKey(name));
  }

  /** The revision it was written at, or 0 when the model already exists. */
  createModel(record: ModelRecord): Promise<number> {
    return this.create(modelKey(record.name), record);
  }

  /** The new revision, or 0 when someone else changed the model since `revision`. */
  updateModel(record: ModelRecord, revision: number): Promise<number> {
    return this.update(modelKey(record.name), record, revision);
  }

  /** The new revision, or 0 when someone else changed the version since `revision`. */
  updateVersion(record: VersionRecord, revision: number): Promise<number> {
    return this.update(versionKey(record.model, record.version), record, revision);
  }

  getVersionRevisioned(name: string, version: number): Promise<Revisioned<VersionRecord> | null> {
    return this.read<VersionRecord>(versionKey(name, version));
  }

  /** The history row of an alias change made with a compare-and-set on model revision `baseRevision`. */
  aliasChangeRow(change: AliasChangeRecord, baseRevision: number): KvRow {
    return { key: aliasChangeKey(change.model, change.alias, baseRevision), value: change };
  }

  /** Creates `row`; a row that exists already (a retried flush) is left as it is. */
  async createRow(row: KvRow): Promise<void> {
    await this.create(row.key, row.value);
  }

  /** The record `ref` names, as stored (with its outbox), or null when it does not exist. */
  readJournaled(ref: RecordRef): Promise<Revisioned<Journaled> | null> {
    return this.read<Journaled>(recordKey(ref));
  }

  /**
   * Takes the announcements `ids` out of the outbox of the record `ref` names. `committed` is the
   * record as it was read or written with them; when it has changed since, the record is reread and
   * whatever of `ids` it still holds is removed from that. False when it gave up against constant change.
   */
  async removeAnnounced(
    ref: RecordRef,
    ids: ReadonlySet<string>,
    committed: Revisioned<Journaled>,
  ): Promise<boolean> {
    const key = recordKey(ref);
    let current: Revisioned<Journaled> | null = committed;
    for (let attempt = 0; attempt < MAX_OUTBOX_ATTEMPTS; attempt++) {
      if (!current) return true;
      const outbox = current.value.outbox ?? [];
      const rest = outbox.filter((a) => !ids.has(a.envelope.id));
      if (rest.length === outbox.length) return true;
      const record = withoutOutbox(current.value);
      if (await this.update(key, rest.length ? { ...record, outbox: rest } : record, current.revision))
        return true;
      current = await this.read<Journaled>(key);
    }
    return false;
  }

  /** Every model and version record whose outbox is not empty: what a registry that stopped mid-commit left unpublished. */
  async journaledRecords(): Promise<RecordRef[]> {
    const keys = [...(await this.keys('models.*')), ...(await this.keys('versions.>'))];
    const refs: RecordRef[] = [];
    for (let i = 0; i < keys.length; i += 64) {
      const records = await Promise.all(
        keys.slice(i, i + 64).map((k) => this.read<ModelRecord | VersionRecord>(k)),
      );
      for (const r of records) {
        if (!r?.value.outbox?.length) continue;
        refs.push(
          'version' in r.value ? { model: r.value.model, version: r.value.version } : { model: r.value.name },
        );
      }
    }
    return refs;
  }

  /** Oldest first; every alias of the model when `alias` is empty. */
  async listAliasChanges(name: string, alias: string): Promise<AliasChangeRecord[]> {
    const keys = await this.keys(`aliaslog.${name}.${alias || '*'}.>`);
    keys.sort((a, b) => aliasChangeRevision(a) - aliasChangeRevision(b));
    const records = await Promise.all(keys.map((k) => this.read<AliasChangeRecord>(k)));
    return records.flatMap((r) => (r ? [r.value] : []));
  }

  async listModels(): Promise<ModelRecord[]> {
    const names = await this.keys('models.*');
    const records = await Promise.all(names.map((k) => this.read<ModelRecord>(k)));
    return records.flatMap((r) => (r ? [r.value] : []));
  }

  async getVersion(name: string, version: number): Promise<VersionRecord | null> {
    return (await this.read<VersionRecord>(versionKey(name, version)))?.value ?? null;
  }

  /** The commit point of a push: the revision it was written at, or 0 when this version number is taken. */
  createVersion(record: VersionRecord): Promise<number> {
    return this.create(versionKey(record.model, record.version), record);
  }

  async listVersions(name: string): Promise<VersionRecord[]> {
    const keys = await this.keys(`versions.${name}.*`);
    const records = await Promise.all(keys.map((k) => this.read<VersionRecord>(k)));
    return records.flatMap((r) => (r ? [r.value] : [])).sort((a, b) => a.version - b.version);
  }

  /** Which version job `jobId` registered for model `name` (0 while it is being registered), or null. */
  getJobClaim(name: string, jobId: string): Promise<Revisioned<JobClaimRecord> | null> {
    return this.read<JobClaimRecord>(jobClaimKey(name, jobId));
  }

  /** The revision written, or 0 when another push of the same job claimed it first. */
  createJobClaim(name: string, claim: JobClaimRecord): Promise<number> {
    return this.create(jobClaimKey(name, claim.job_id), claim);
  }

  /** The new revision, or 0 when the claim changed since `revision`. */
  updateJobClaim(name: string, claim: JobClaimRecord, revision: number): Promise<number> {
    return this.update(jobClaimKey(name, claim.job_id), claim, revision);
  }

  /** Gives a claim up (its push failed before the commit), if it is still at `revision`. */
  async removeJobClaim(name: string, jobId: string, revision: number): Promise<void> {
    await this.guard(`remove the claim of job ${jobId} on ${name}`, async () => {
      try {
        await this.kv.delete(jobClaimKey(name, jobId), { previousSeq: revision });
      } catch (err) {
        if (!isCasFailure(err)) throw err;
      }
    });
  }

  /** The commit point of a dataset push: the revision it was written at, or 0 when this version number is taken. */
  createDataset(record: DatasetRecord): Promise<number> {
    return this.create(datasetKey(record.name, record.version), record);
  }

  async getDataset(name: string, version: number): Promise<DatasetRecord | null> {
    return (await this.read<DatasetRecord>(datasetKey(name, version)))?.value ?? null;
  }

  /** Every version of dataset `name`, or of every dataset when `name` is empty; by name, then version. */
  async listDatasets(name: string): Promise<DatasetRecord[]> {
    const keys = await this.keys(name ? `datasets.${name}.*` : 'datasets.>');
    const records = await Promise.all(keys.map((k) => this.read<DatasetRecord>(k)));
    return records
      .flatMap((r) => (r ? [r.value] : []))
      .sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
  }

  private async read<T>(key: string): Promise<Revisioned<T> | null> {
    return this.guard(`read ${key}`, async () => {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') return null;
      return { value: entry.json<T>(), revision: entry.revision };
    });
  }

  private update(key: string, value: unknown, revision: number): Promise<number> {
    return this.guard(`update ${key}`, async () => {
      try {
        return await this.kv.update(key, JSON.stringify(value), revision);
      } catch (err) {
        if (isCasFailure(err)) return 0;
        throw err;
      }
    });
  }

  /** The revision written, or 0 when the key exists. */
  private create(key: string, value: unknown): Promise<number> {
    return this.guard(`create ${key}`, async () => {
      try {
        return await this.kv.create(key, JSON.stringify(value));
      } catch (err) {
        if (isCasFailure(err)) return 0;
        throw err;
      }
    });
  }

  private keys(filter: string): Promise<string[]> {
    return this.guard(`list ${filter}`, async () => {
      const out: string[] = [];
      for await (const key of await this.kv.keys(filter)) out.push(key);
      return out;
    });
  }

  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (cause) {
      if (cause instanceof ConflictError) throw cause;
      throw new UnavailableError(`registry metadata store (NATS KV) failed to ${what}: ${String(cause)}`, {
        cause,
      });
    }
  }
}

function isCasFailure(err: unknown): boolean {
  return err instanceof Error && /wrong last sequence|key exists/i.test(err.message);
}
