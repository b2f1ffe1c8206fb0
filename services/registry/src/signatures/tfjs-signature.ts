import type { Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import {
  isTfjsModelJson,
  pickTfjsModelJson,
  TfjsLayoutError,
  tfjsEntryName,
  tfjsShards,
  type TfjsModelJson,
  type TfjsTensorInfo,
} from '@aimass/tfjs';
import { once } from 'node:events';
import tar from 'tar-stream';
import type { SignatureReader } from './artifact-signature.js';

/** model.json holds the topology and the weights manifest, never the weights: this bounds it. */
const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;

type TensorSpec = Signature['inputs'][number];

/**
 * A TF.js artifact is a tar of the directory `tf.io` saves: `model.json` plus the weight shards its
 * `weightsManifest` names, at the root of the tar or inside one top-level directory. The tar is
 * parsed as it streams in; only model.json is kept. The signature comes from model.json: a graph
 * model's `signature`, or a layers model's input layers and output layers.
 */
export class TfjsSignatureReader implements SignatureReader {
  private readonly extract = tar.extract();
  private readonly files = new Map<string, number>();
  private readonly jsons = new Map<string, Buffer>();
  private readonly finished: Promise<void>;

  constructor() {
    this.extract.on('entry', (header, stream, next) => {
      const name = tfjsEntryName(header.name);
      const chunks: Buffer[] = [];
      let size = 0;
      const keep = header.type === 'file' && isTfjsModelJson(name);
      if (header.type === 'file') this.files.set(name, header.size ?? 0);
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (!keep) return;
        size += chunk.length;
        if (size > MAX_MODEL_JSON_BYTES) {
          stream.destroy(
            new InvalidArgumentError(
              `${name} is over ${MAX_MODEL_JSON_BYTES} bytes; model.json should hold only the topology and the weights manifest`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (keep) this.jsons.set(name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', (err) => this.extract.destroy(err));
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.extract.on('finish', resolve);
      this.extract.on('error', reject);
      this.extract.on('close', () => reject(new Error('the tar stream closed early')));
    });
    this.finished.catch(() => undefined);
  }

  async push(chunk: Buffer): Promise<void> {
    try {
      if (!this.extract.write(chunk)) await Promise.race([once(this.extract, 'drain'), this.finished]);
    } catch (err) {
      throw notTfjs(err);
    }
  }

  async finish(): Promise<Signature> {
    try {
      this.extract.end(undefined);
      await this.finished;
    } catch (err) {
      throw notTfjs(err);
    }
    const jsonPath = refusedLayout(() => pickTfjsModelJson([...this.jsons.keys()]));
    let modelJson: TfjsModelJson;
    try {
      modelJson = JSON.parse(this.jsons.get(jsonPath)!.toString('utf8')) as TfjsModelJson;
    } catch (err) {
      throw new InvalidArgumentError(
        `the tfjs artifact is refused: ${jsonPath} is not valid JSON (${(err as Error).message})`,
      );
    }
    refusedLayout(() => checkWeights(modelJson, jsonPath, this.files));
    return readTfjsSignature(modelJson);
  }

  dispose(): void {
    this.extract.destroy();
  }
}

/** Runs a layout rule; a broken rule is the push's INVALID_ARGUMENT. */
function refusedLayout<T>(rule: () => T): T {
  try {
    return rule();
  } catch (err) {
    if (err instanceof TfjsLayoutError)
      throw new InvalidArgumentError(`the tfjs artifact is refused: ${err.message}`, { cause: err });
    throw err;
  }
}

function notTfjs(err: unknown): InvalidArgumentError {
  if (err instanceof InvalidArgumentError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new InvalidArgumentError(
    `the tfjs artifact is refused: it is not a readable tar (${reason}); push a tar of the directory holding model.json and its weight files`,
    { cause: err },
  );
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float16: 2,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
};

/** Every shard the manifest names is in the tar, and (unquantized) the shards hold exactly the declared weights. */
function checkWeights(model: TfjsModelJson, jsonPath: string, files: Map<string, number>): void {
  const manifest = model.weightsManifest;
  if (!Array.isArray(manifest))
    throw new InvalidArgumentError('the tfjs artifact is refused: model.json has no weightsManifest');
  for (const group of manifest) {
    const stored = tfjsShards(jsonPath, group.paths ?? [], files).reduce((a, b) => a + b, 0);
    const weights = group.weights ?? [];
    if (weights.some((w) => w.quantization !== undefined || DTYPE_BYTES[w.dtype] === undefined)) continue;
    const declared = weights.reduce(
      (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[w.dtype]!,
      0,
    );
    if (declared !== stored) {
      throw new InvalidArgumentError(
        `the tfjs artifact is refused: the weight files ${group.paths.join(', ')} hold ${stored} bytes but the manifest declares ${declared}`,
      );
    }
  }
}

/** The signature model.json declares. Exported for unit tests. */
export function readTfjsSignature(model: TfjsModelJson): Signature {
  if (model.format === 'graph-model' || model.signature) return graphSignature(model);
  return layersSignature(model);
}

const GRAPH_DTYPES: Record<string, string> = {
  DT_FLOAT: 'FP32',
  DT_DOUBLE: 'FP64',
  DT_HALF: 'FP16',
  DT_INT32: 'INT32',
  DT_INT64: 'INT64',
  DT_INT16: 'INT16',
  DT_INT8: 'INT8',
  DT_UINT8: 'UINT8',
  DT_UINT16: 'UINT16',
  DT_BOOL: 'BOOL',
  DT_STRING: 'BYTES',
};
const LAYERS_DTYPES: Record<string, string> = {
  float32: 'FP32',
  int32: 'INT32',
  bool: 'BOOL',
  string: 'BYTES',
  float16: 'FP16',
};

function graphSignature(model: TfjsModelJson): Signature {
  const sig = model.signature;
  if (!sig?.inputs || !sig.outputs || Object.keys(sig.outputs).length === 0) {
    throw new InvalidArgumentError(
      'the tfjs artifact is refused: the graph model has no signature (inputs and outputs); convert it with its serving signature',
    );
  }
  const spec = ([key, info]: [string, TfjsTensorInfo]): TensorSpec => {
    const datatype = GRAPH_DTYPES[info.dtype ?? ''];
    if (!datatype)
      throw new InvalidArgumentError(
        `the tfjs artifact is refused: tensor "${key}" has dtype ${info.dtype ?? '(none)'}, which has no Open Inference Protocol datatype`,
      );
    // As for ONNX: [] means a scalar, so a tensor of unknown rank (no tensorShape, or unknownRank)
    // cannot be recorded; inference could never match a request to it.
    if (!info.tensorShape || info.tensorShape.unknownRank) {
      throw new InvalidArgumentError(
        `the tfjs artifact is refused: tensor "${key}" has no shape (unknown rank); the model must declare the rank`,
      );
    }
    const shape = (info.tensorShape.dim ?? []).map((d) =>
      d.size === undefined || Number(d.size) < 0 ? -1 : Number(d.size),
    );
    return { name: info.name ?? key, datatype, shape };
  };
  return { inputs: Object.entries(sig.inputs).map(spec), outputs: Object.entries(sig.outputs).map(spec) };
}

interface LayerJson {
  class_name: string;
  name?: string;
  config: Record<string, unknown> & {
    name?: string;
    units?: number;
    batch_input_shape?: (number | null)[];
    batchInputShape?: (number | null)[];
    dtype?: string;
    target_shape?: number[];
  };
}

function layersSignature(model: TfjsModelJson): Signature {
  const topology = (model.modelTopology?.model_config ?? model.modelTopology) as
    | {
        class_name?: string;
        config?: { layers?: LayerJson[]; input_layers?: unknown[][]; output_layers?: unknown[][] };
      }
    | undefined;
  const layers = topology?.config?.layers;
  if (!topology || !Array.isArray(layers) || layers.length === 0) {
    throw new InvalidArgumentError(
      'the tfjs artifact is refused: model.json is neither a graph model with a signature nor a layers model with layers',
    );
  }
  const dims = (shape: (number | null)[] | undefined) =>
    (shape ?? []).map((d) => (d === null || d === undefined ? -1 : d));
  const dtype = (layer: LayerJson) => LAYERS_DTYPES[layer.config.dtype ?? 'float32'] ?? 'FP32';
  const nameOf = (layer: LayerJson) => layer.name ?? layer.config.name ?? '';

  if (topology.class_name === 'Sequential') {
    const first = layers[0]!;
    const inputShape = dims(first.config.batch_input_shape ?? first.config.batchInputShape);
    if (inputShape.length === 0)
      throw new InvalidArgumentError(
        'the tfjs artifact is refused: the first layer declares no batch_input_shape',
      );
    const last = layers.at(-1)!;
    const isInput = first.class_name === 'InputLayer';
    return {
      inputs: [
        {
          name: isInput ? nameOf(first) : `${nameOf(first)}_input`,
          datatype: dtype(first),
          shape: inputShape,
        },
      ],
      outputs: [
        { name: nameOf(last), datatype: dtype(last), shape: sequentialOutputShape(layers, inputShape) },
      ],
    };
  }
  const byName = new Map(layers.map((l) => [nameOf(l), l]));
  const pick = (refs: unknown[][] | undefined, role: string): LayerJson[] =>
    (refs ?? []).map((ref) => {
      const layer = byName.get(String(ref[0]));
      if (!layer)
        throw new InvalidArgumentError(
          `the tfjs artifact is refused: the ${role} layer "${String(ref[0])}" is not among the model's layers`,
        );
      return layer;
    });
  const inputs = pick(topology.config?.input_layers, 'input').map((l) => ({
    name: nameOf(l),
    datatype: dtype(l),
    shape: dims(l.config.batch_input_shape ?? l.config.batchInputShape),
  }));
  const outputs = pick(topology.config?.output_layers, 'output').map((l) => ({
    name: nameOf(l),
    datatype: dtype(l),
    // Shapes of functional outputs would need full shape inference; Dense outputs are the common case.
    shape: l.class_name === 'Dense' && typeof l.config.units === 'number' ? [-1, l.config.units] : [],
  }));
  if (inputs.length === 0 || outputs.length === 0)
    throw new InvalidArgumentError(
      'the tfjs artifact is refused: the layers model names no input or output layers',
    );
  return { inputs, outputs };
}

const SHAPE_PRESERVING = new Set([
  'Activation',
  'Dropout',
  'BatchNormalization',
  'LayerNormalization',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'ELU',
  'PReLU',
  'ThresholdedReLU',
  'InputLayer',
]);

/** Shape through the layers whose output shape is plain arithmetic; [] (unknown) past any other layer. */
function sequentialOutputShape(layers: LayerJson[], input: number[]): number[] {
  let shape = input;
  for (const layer of layers) {
    if (SHAPE_PRESERVING.has(layer.class_name)) continue;
    if (layer.class_name === 'Dense' && typeof layer.config.units === 'number')
      shape = [...shape.slice(0, -1), layer.config.units];
    else if (layer.class_name === 'Flatten')
      shape = [shape[0]!, shape.slice(1).some((d) => d < 0) ? -1 : shape.slice(1).reduce((a, b) => a * b, 1)];
    else if (layer.class_name === 'Reshape' && Array.isArray(layer.config.target_shape))
      shape = [shape[0]!, ...layer.config.target_shape];
    else return [];
  }
  return shape;
}
