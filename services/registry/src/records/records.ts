import type { ArtifactFormat, Signature } from '@aimass/contracts';
import type { PreparedEvent } from '@aimass/nats';

/** A KV row to create once, such as an alias history entry. Its key is unique to the change that adds it. */
export interface KvRow {
  readonly key: string;
  readonly value: unknown;
}

/** An event or audit record to publish, and optionally a row the change adds beside its own record. */
export type OutboxEntry = PreparedEvent & { readonly row?: KvRow };

/**
 * A record that carries what its own commits must still do elsewhere: events and audit records to
 * publish, rows to create. They are written in the same KV compare-and-set as the change, so a
 * change is never committed without them (RegistryJournal carries them out and then removes them).
 */
export interface Journaled {
  readonly outbox?: readonly OutboxEntry[];
}

/** The record without its outbox: what callers see, or what is left once the outbox is carried out. */
export function withoutOutbox<R extends Journaled>(record: R): Omit<R, 'outbox'> {
  const { outbox: _pending, ...rest } = record;
  return rest;
}

/** Names the KV record a journal entry lives in: a model, or one version of it. */
export interface RecordRef {
  readonly model: string;
  readonly version?: number;
}

/** What the registry stores in KV for a model. Aliases live here so one CAS moves one alias. */
export interface ModelRecord extends Journaled {
  readonly name: string;
  readonly description: string;
  readonly tags: Record<string, string>;
  readonly created_at: string;
  readonly updated_at: string;
  /** Highest version number committed so far; 0 when none. */
  readonly latest_version: number;
  readonly aliases: Record<string, number>;
  readonly owner: string;
  readonly framework: string;
  readonly model_card: string;
}

export type VersionState = 'READY' | 'ARCHIVED' | 'DELETED';
export type { ArtifactFormat };

/**
 * The one version a training job registers for a model: a push whose lineage names the job claims it
 * before its commit, and a second push of the same job (a redelivered job on another node) gets the
 * version the first one registered instead of a new one.
 */
export interface JobClaimRecord {
  readonly job_id: string;
  /** 0 while the claiming push has not committed. */
  readonly version: number;
  readonly claimed_at: string;
}

/** Where a version came from; every field optional. */
export interface LineageRecord {
  readonly source_job_id: string;
  readonly study_id: string;
  readonly dataset_digest: string;
  readonly hyperparameters: Record<string, string>;
  readonly metrics: Record<string, number>;
  readonly parent_version: number;
  /** A compressed copy's source, "<model>@<version>", and the conversion that made it. */
  readonly converted_from: string;
  readonly conversion: string;
}

export const EMPTY_LINEAGE: LineageRecord = {
  source_job_id: '',
  study_id: '',
  dataset_digest: '',
  hyperparameters: {},
  metrics: {},
  parent_version: 0,
  converted_from: '',
  conversion: '',
};

/** What the registry stores in KV for one version; immutable except for its state and reference statistics. */
export interface VersionRecord extends Journaled {
  readonly model: string;
  readonly version: number;
  readonly state: VersionState;
  readonly format: ArtifactFormat;
  readonly size_bytes: number;
  readonly sha256: string;
  readonly artifact_key: string;
  readonly signature: Signature;
  readonly created_at: string;
  readonly tags: Record<string, string>;
  readonly lineage: LineageRecord;
  /** Object key of the reference statistics (JSON) when attached. */
  readonly reference_statistics_key?: string;
  readonly updated_at?: string;
}

/** One entry of an alias's history; `version` 0 is a delete, `previous_version` 0 a creation. */
export interface AliasChangeRecord {
  readonly model: string;
  readonly alias: string;
  readonly version: number;
  readonly previous_version: number;
  readonly actor: string;
  readonly time: string;
}

/** A KV value with the revision a compare-and-set must name. */
export interface Revisioned<T> {
  readonly value: T;
  readonly revision: number;
}

/** A version as callers see it: the stored record plus the aliases that point at it now. */
export interface VersionView extends VersionRecord {
  readonly aliases: string[];
  /** Set by GetVersion only: the model's tags. */
  readonly model_tags?: Record<string, string>;
}

export function viewOf(model: ModelRecord, version: VersionRecord): VersionView {
  return versionView(version, aliasesOf(model, version.version));
}

/** The version with `aliases`, without announcements waiting to be published. */
export function versionView(version: VersionRecord, aliases: string[]): VersionView {
  return { ...withoutOutbox(version), aliases };
}

export function aliasesOf(model: ModelRecord, version: number): string[] {
  return Object.entries(model.aliases)
    .filter(([, n]) => n === version)
    .map(([alias]) => alias)
    .sort();
}

/** What the registry stores in KV for one version of a dataset; its column statistics live beside the file in S3. */
export interface DatasetRecord {
  readonly name: string;
  readonly version: number;
  readonly format: string;
  readonly size_bytes: number;
  readonly sha256: string;
  readonly object_key: string;
  readonly statistics_key: string;
  readonly rows: number;
  readonly column_names: readonly string[];
  readonly has_header: boolean;
  readonly description: string;
  readonly created_at: string;
  readonly actor: string;
}
