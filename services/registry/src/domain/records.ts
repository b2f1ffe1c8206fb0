import type { Signature } from '@aimass/contracts';

/** What the registry stores in KV for a model. Aliases live here so one CAS moves one alias. */
export interface ModelRecord {
  readonly name: string;
  readonly description: string;
  readonly tags: Record<string, string>;
  readonly created_at: string;
  readonly updated_at: string;
  /** Highest version number committed so far; 0 when none. */
  readonly latest_version: number;
  readonly aliases: Record<string, number>;
}

export type VersionState = 'READY' | 'ARCHIVED' | 'DELETED';
export type ArtifactFormat = 'onnx' | 'tfjs';

/** What the registry stores in KV for one version; immutable except for its state. */
export interface VersionRecord {
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
}

/** A KV value with the revision a compare-and-set must name. */
export interface Revisioned<T> {
  readonly value: T;
  readonly revision: number;
}

/** A version as callers see it: the stored record plus the aliases that point at it now. */
export interface VersionView extends VersionRecord {
  readonly aliases: string[];
}

export function viewOf(model: ModelRecord, version: VersionRecord): VersionView {
  const aliases = Object.entries(model.aliases)
    .filter(([, n]) => n === version.version)
    .map(([alias]) => alias)
    .sort();
  return { ...version, aliases };
}
