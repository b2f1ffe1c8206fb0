import type { registryv1 } from '@aimass/contracts';
import type { Metadata } from '@grpc/grpc-js';
import { type AliasChangeRecord, type ModelRecord, type VersionView } from '../records/records.js';
import type { DownloadPart } from '../services/artifact-download.service.js';
import type { DatasetView } from '../services/dataset.service.js';
import type { ConversionReport } from '../services/conversion-report.js';

export function toModelMessage(m: ModelRecord): registryv1.Model {
  return {
    name: m.name,
    description: m.description,
    tags: m.tags,
    latest_version: m.latest_version,
    aliases: m.aliases,
    created_at: m.created_at,
    updated_at: m.updated_at,
    owner: m.owner,
    framework: m.framework,
    model_card: m.model_card,
  };
}

export function toVersionMessage(v: VersionView): registryv1.ModelVersion {
  return {
    model: v.model,
    version: v.version,
    state: v.state,
    format: v.format,
    size_bytes: String(v.size_bytes),
    sha256: v.sha256,
    signature: v.signature,
    aliases: v.aliases,
    created_at: v.created_at,
    artifact_key: v.artifact_key,
    tags: v.tags,
    lineage: v.lineage,
    has_reference_statistics: Boolean(v.reference_statistics_key),
    updated_at: v.updated_at ?? v.created_at,
  };
}

/** One message per part, each holding the part's buffer as it is (the service reuses them). */
export async function* toDownloadMessages(
  parts: AsyncIterable<DownloadPart>,
): AsyncGenerator<registryv1.DownloadVersionChunk> {
  for await (const part of parts)
    yield 'version' in part
      ? { version: toVersionMessage(part.version), chunk: Buffer.alloc(0) }
      : { chunk: part.chunk };
}

export function toAliasChangeMessage(c: AliasChangeRecord): registryv1.AliasChange {
  return { ...c };
}

/** Who is calling. Authentication arrives with the security work; until then callers name themselves. */
export function actorOf(metadata: Metadata | undefined): string {
  const value = metadata?.get('x-aimass-actor')[0];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : 'anonymous';
}

export function toDatasetMessage(d: DatasetView): registryv1.Dataset {
  return {
    name: d.name,
    version: d.version,
    format: d.format,
    size_bytes: d.size_bytes,
    sha256: d.sha256,
    object_key: d.object_key,
    rows: d.rows,
    columns: d.columns.map((c) => ({ ...c, quantiles: [] })),
    description: d.description,
    created_at: d.created_at,
    actor: d.actor,
    has_header: d.has_header,
    column_count: d.column_names.length,
  };
}

export function toConversionMessage(report: ConversionReport): registryv1.ConvertModelVersionResponse {
  return {
    version: toVersionMessage(report.version),
    source_size_bytes: report.sourceSizeBytes,
    size_bytes: report.version.size_bytes,
    calibration: report.calibration,
    calibration_rows: report.calibrationRows,
    outputs: report.outputs.map((o) => ({
      name: o.name,
      max_relative: o.maxRelative,
      mean_relative: o.meanRelative,
    })),
    max_relative: report.worst.maxRelative,
    mean_relative: report.worst.meanRelative,
  };
}
