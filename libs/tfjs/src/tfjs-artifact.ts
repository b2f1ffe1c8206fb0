import { Readable } from 'node:stream';
import tar from 'tar-stream';
import {
  isTfjsModelJson,
  pickTfjsModelJson,
  TfjsLayoutError,
  tfjsEntryName,
  tfjsShards,
  type TfjsModelJson,
  type TfjsWeightSpec,
} from './tfjs-layout.js';

/** What tf.io needs to build a model in memory: the parsed model.json and its weights in manifest order. */
export interface TfjsArtifact {
  /** model.json as saved by tf.io (layers model) or the converter (graph model). */
  readonly modelJson: TfjsModelJson;
  readonly weightSpecs: TfjsWeightSpec[];
  /** The shards of every manifest group, concatenated in manifest order. */
  readonly weightData: ArrayBuffer;
}

/**
 * Unpacks a registry tfjs artifact (a tar in the tfjs-layout) held in memory. Anything unreadable
 * (not a tar, no model.json, bad JSON, a missing shard) is a TfjsLayoutError; callers give it their
 * own error kind.
 */
export async function unpackTfjsArtifact(bytes: Uint8Array): Promise<TfjsArtifact> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = tfjsEntryName(header.name);
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void (header.type === 'file' && chunks.push(c as Buffer)));
    stream.on('end', () => {
      if (header.type === 'file') files.set(name, Buffer.concat(chunks));
      next();
    });
    stream.resume();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
      Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)])
        .on('error', reject)
        .pipe(extract);
    });
  } catch (err) {
    throw new TfjsLayoutError(`the artifact is not a readable tar (${(err as Error).message})`, {
      cause: err,
    });
  }

  const jsonPath = pickTfjsModelJson([...files.keys()].filter(isTfjsModelJson));
  let modelJson: TfjsModelJson;
  try {
    modelJson = JSON.parse(files.get(jsonPath)!.toString('utf8')) as TfjsModelJson;
  } catch (err) {
    throw new TfjsLayoutError(`${jsonPath} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest))
    throw new TfjsLayoutError(`${jsonPath} has no modelTopology or no weightsManifest`);

  const weightSpecs: TfjsWeightSpec[] = [];
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...(group.weights ?? []));
    shards.push(...tfjsShards(jsonPath, group.paths ?? [], files));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightSpecs, weightData };
}
