import path from 'node:path/posix';

/**
 * The layout of a tfjs artifact in aimass, shared by the registry (which checks it at push) and
 * inference (which loads it): a tar of the directory `tf.io` saves, `model.json` plus the weight
 * shards its `weightsManifest` names, at the root of the tar or inside one top-level directory.
 */

/** One weight of a weightsManifest group. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** One group of model.json's weightsManifest: shard files, and the weights they hold in order. */
export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** A tensor of a graph model's signature, as model.json records it. */
export interface TfjsTensorInfo {
  name?: string;
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

/**
 * model.json as tf.io (a layers model) or the tfjs converter (a graph model) writes it, as parsed:
 * nothing in it is checked yet.
 */
export interface TfjsModelJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  signature?: { inputs?: Record<string, TfjsTensorInfo>; outputs?: Record<string, TfjsTensorInfo> };
  weightsManifest?: TfjsWeightGroup[];
}

/** The artifact breaks the layout; the message says how. Callers give it their own error kind. */
export class TfjsLayoutError extends Error {
  override readonly name = 'TfjsLayoutError';
}

/** A tar entry's name as the layout compares it (`./a//b` is `a/b`). */
export function tfjsEntryName(tarName: string): string {
  return path.normalize(tarName).replace(/^\.\//, '');
}

/** Whether an entry may be the artifact's model.json: at the root or one directory down. */
export function isTfjsModelJson(entryName: string): boolean {
  return path.basename(entryName) === 'model.json' && entryName.split('/').length <= 2;
}

/** The model.json among the entries that may be one: the shallowest, and only one at that depth. */
export function pickTfjsModelJson(candidates: readonly string[]): string {
  const found = [...candidates].sort((a, b) => a.split('/').length - b.split('/').length);
  if (found.length === 0)
    throw new TfjsLayoutError('the tar holds no model.json at its root or in one top-level directory');
  if (found.length > 1 && found[0]!.split('/').length === found[1]!.split('/').length) {
    throw new TfjsLayoutError(
      `it holds several model.json files (${found.join(', ')}); push one model per version`,
    );
  }
  return found[0]!;
}

/** What `files` holds for each shard a manifest group names, in order; `files` is keyed by entry name. */
export function tfjsShards<T>(
  modelJsonPath: string,
  shardPaths: readonly string[],
  files: ReadonlyMap<string, T>,
): T[] {
  const dir = path.dirname(modelJsonPath);
  return shardPaths.map((shard) => {
    const file = files.get(path.normalize(path.join(dir, shard)));
    if (file === undefined)
      throw new TfjsLayoutError(`model.json names the weight file "${shard}", which is not in the tar`);
    return file;
  });
}
