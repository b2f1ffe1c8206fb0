import { FailedPreconditionError } from '@aimass/errors';
import path from 'node:path/posix';
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

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: unknown;
}

export interface TfjsModelJson {
  format?: string;
  modelTopology: object;
  signature?: object;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  [key: string]: unknown;
}

/**
 * Unpacks a registry tfjs artifact: a tar of `model.json` plus the weight shards its
 * `weightsManifest` names, at the root of the tar or in one top-level directory (the layout the
 * registry accepts). The registry checked it at push time; anything unreadable here is refused with
 * FAILED_PRECONDITION, like an ONNX file onnxruntime cannot open.
 */
export async function readTfjsArtifact(bytes: Uint8Array, label: string): Promise<TfjsArtifact> {
  const refuse = (why: string, cause?: unknown) => new FailedPreconditionError(`${label} cannot be loaded as a tfjs model: ${why}`, { cause });
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = path.normalize(header.name).replace(/^\.\//, '');
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
      Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]).on('error', reject).pipe(extract);
    });
  } catch (err) {
    throw refuse(`the artifact is not a readable tar (${(err as Error).message})`, err);
  }

  const candidates = [...files.keys()].filter((n) => path.basename(n) === 'model.json' && n.split('/').length <= 2).sort((a, b) => a.split('/').length - b.split('/').length);
  const jsonPath = candidates[0];
  if (!jsonPath) throw refuse('the tar holds no model.json at its root or in one top-level directory');
  let modelJson: TfjsModelJson;
  try {
    modelJson = JSON.parse(files.get(jsonPath)!.toString('utf8')) as TfjsModelJson;
  } catch (err) {
    throw refuse(`${jsonPath} is not valid JSON (${(err as Error).message})`, err);
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) throw refuse(`${jsonPath} has no modelTopology or no weightsManifest`);

  const dir = path.dirname(jsonPath);
  const weightSpecs: TfjsWeightSpec[] = [];
  const shards: Buffer[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...(group.weights ?? []));
    for (const shard of group.paths ?? []) {
      const body = files.get(path.normalize(path.join(dir, shard)));
      if (!body) throw refuse(`model.json names the weight file "${shard}", which is not in the tar`);
      shards.push(body);
    }
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { modelJson, weightSpecs, weightData };
}
