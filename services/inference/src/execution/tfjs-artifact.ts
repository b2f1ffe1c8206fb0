import { FailedPreconditionError } from '@aimass/errors';
import {
  isTfjsModelJson,
  pickTfjsModelJson,
  TfjsLayoutError,
  tfjsEntryName,
  tfjsShards,
  type TfjsModelJson,
  type TfjsWeightSpec,
} from '@aimass/tfjs';
import { Readable } from 'node:stream';
import tar from 'tar-stream';

/** What tf.io needs to build a model in memory: the parsed model.json and its weights in manifest order. */
export interface TfjsArtifact {
  /** model.json as saved by tf.io (layers model) or the converter (graph model). */
  readonly modelJson: TfjsModelJson;
  readonly weightSpecs: TfjsWeightSpec[];
  /** The shards of every manifest group, concatenated in manifest order. */
  readonly weightData: ArrayBuffer;
}

/**
 * Unpacks a registry tfjs artifact (the layout of @aimass/tfjs's tfjs-layout). The registry checked
 * it at push time; anything unreadable here is refused with FAILED_PRECONDITION, like an ONNX file
 * onnxruntime cannot open.
 */
export async function readTfjsArtifact(bytes: Uint8Array, label: string): Promise<TfjsArtifact> {
  const refuse = (why: string, cause?: unknown) =>
    new FailedPreconditionError(`${label} cannot be loaded as a tfjs model: ${why}`, { cause });
  const layout = <T>(rule: () => T): T => {
    try {
      return rule();
    } catch (err) {
      if (err instanceof TfjsLayoutError) throw refuse(err.message, err);
      throw err;
    }
  };
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
    throw refuse(`the artifact is not a readable tar (${(err as Error).message})`, err);
  }

  const jsonPath = layout(() => pickTfjsModelJson([...files.keys()].filter(isTfjsModelJson)));
  let modelJson: TfjsModelJson;
  try {
    modelJson = JSON.parse(files.get(jsonPath)!.toString('utf8')) as TfjsModelJson;
  } catch (err) {
    throw refuse(`${jsonPath} is not valid JSON (${(err as Error).message})`, err);
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest))
    throw refuse(`${jsonPath} has no modelTopology or no weightsManifest`);

  const weightSpecs: TfjsWeightSpec[] = [];
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...(group.weights ?? []));
    shards.push(...layout(() => tfjsShards(jsonPath, group.paths ?? [], files)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightSpecs, weightData };
}
