import type { Signature } from '@aimass/contracts';
import { FailedPreconditionError, InternalError, InvalidArgumentError } from '@aimass/errors';
import type * as tfjs from '@tensorflow/tfjs';
import type { PlainTensor, SessionRunner } from './session-runner.js';

/** The tfjs namespace, passed in by TfjsRepository (the only module that imports tfjs itself). */
export type Tfjs = typeof tfjs;

/** tfjs dtypes OIP v2 can carry; their names are also the PlainTensor (ORT) type names. */
const SERVABLE: Readonly<Record<string, tfjs.DataType>> = { FP32: 'float32', INT32: 'int32', BOOL: 'bool' };

/** A loaded tfjs model, tagged by how it runs. */
export type LoadedTfjsModel =
  { kind: 'layers'; model: tfjs.LayersModel } | { kind: 'graph'; model: tfjs.GraphModel };

/**
 * Runs one tfjs model (a LayersModel or a GraphModel) on this thread. Inputs and outputs are
 * addressed by the names of the registry's signature. Every run happens inside tf.tidy (or disposes
 * what it made), so the engine holds only the model's weights between runs; the runner owns the
 * model and disposes it on release().
 */
export class TfjsRunner implements SessionRunner {
  readonly outputNames: readonly string[];
  private readonly inputs: readonly { name: string; dtype: tfjs.DataType }[];
  /** Signature output name -> index among the layers model's outputs. */
  private readonly layersOutputIndex = new Map<string, number>();
  /** Set when a graph model turned out to need executeAsync (control flow, dynamic shapes). */
  private graphNeedsAsync = false;

  constructor(
    private readonly tf: Tfjs,
    private readonly loaded: LoadedTfjsModel,
    signature: Signature,
    label: string,
  ) {
    const refuse = (why: string) => new FailedPreconditionError(`${label} cannot be served by tfjs: ${why}`);
    for (const t of [...signature.inputs, ...signature.outputs]) {
      if (!SERVABLE[t.datatype])
        throw refuse(
          `tensor "${t.name}" is ${t.datatype}; tfjs models can be served with FP32, INT32 and BOOL tensors`,
        );
    }
    if (signature.inputs.length === 0 || signature.outputs.length === 0)
      throw refuse('the registry recorded no inputs or no outputs for it');
    const [inputNames, outputNames] =
      loaded.kind === 'layers' ? layersNames(loaded.model, signature) : graphNames(loaded.model);
    const missing = (names: readonly string[], known: readonly string[]) =>
      names.filter((n) => !known.includes(n) && !known.includes(n.replace(/:0$/, '')));
    const missingIn = missing(
      signature.inputs.map((s) => s.name),
      inputNames,
    );
    const missingOut = missing(
      signature.outputs.map((s) => s.name),
      outputNames,
    );
    if (missingIn.length > 0 || missingOut.length > 0) {
      throw refuse(
        `the model has no tensor named ${[...missingIn, ...missingOut].map((n) => `"${n}"`).join(', ')} (its inputs are ${inputNames.join(', ')}; its outputs ${outputNames.join(', ')})`,
      );
    }
    if (loaded.kind === 'layers') {
      // predict takes the inputs in the model's own order, which the signature may not share.
      if (signature.inputs.length !== inputNames.length)
        throw refuse(
          `the model has ${inputNames.length} inputs but the registry recorded ${signature.inputs.length}`,
        );
      this.inputs = inputNames.map((name) => ({
        name,
        dtype: SERVABLE[signature.inputs.find((s) => s.name === name)!.datatype]!,
      }));
      for (const s of signature.outputs) this.layersOutputIndex.set(s.name, outputNames.indexOf(s.name));
    } else {
      this.inputs = signature.inputs.map((s) => ({ name: s.name, dtype: SERVABLE[s.datatype]! }));
    }
    this.outputNames = signature.outputs.map((s) => s.name);
  }

  async run(
    feeds: Record<string, PlainTensor>,
    fetches: readonly string[],
  ): Promise<Record<string, PlainTensor>> {
    const tf = this.tf;
    if (this.loaded.kind === 'graph' && this.graphNeedsAsync) return this.runGraphAsync(feeds, fetches);
    let out: Record<string, PlainTensor> | undefined;
    try {
      tf.tidy(() => {
        const xs = this.inputs.map((spec) => this.toTensor(spec, feeds[spec.name]));
        let ys: tfjs.Tensor[];
        if (this.loaded.kind === 'layers') {
          // One execution for the whole batch (predict would cut it into batches of 32).
          const all = this.loaded.model.predictOnBatch(xs.length === 1 ? xs[0]! : xs);
          const list = Array.isArray(all) ? all : [all];
          ys = fetches.map((name) => list[this.layersOutputIndex.get(name)!]!);
        } else {
          const named: tfjs.NamedTensorMap = {};
          this.inputs.forEach((spec, i) => (named[spec.name] = xs[i]!));
          const result = this.loaded.model.execute(named, [...fetches]);
          ys = Array.isArray(result) ? result : [result];
        }
        out = read(fetches, ys);
      });
    } catch (err) {
      if (this.loaded.kind === 'graph' && /executeAsync/.test((err as Error).message)) {
        this.graphNeedsAsync = true;
        return this.runGraphAsync(feeds, fetches);
      }
      throw err;
    }
    return out!;
  }

  async release(): Promise<void> {
    this.loaded.model.dispose();
  }

  /** Graph models with control flow or dynamic shapes cannot run inside tidy; dispose by hand. */
  private async runGraphAsync(
    feeds: Record<string, PlainTensor>,
    fetches: readonly string[],
  ): Promise<Record<string, PlainTensor>> {
    const named: tfjs.NamedTensorMap = {};
    let ys: tfjs.Tensor[] = [];
    try {
      for (const spec of this.inputs) named[spec.name] = this.toTensor(spec, feeds[spec.name]);
      const result = await (this.loaded.model as tfjs.GraphModel).executeAsync(named, [...fetches]);
      ys = Array.isArray(result) ? result : [result];
      return read(fetches, ys);
    } finally {
      this.tf.dispose([...Object.values(named), ...ys]);
    }
  }

  private toTensor(spec: { name: string; dtype: tfjs.DataType }, feed: PlainTensor | undefined): tfjs.Tensor {
    if (!feed) throw new InvalidArgumentError(`missing input "${spec.name}"`);
    if (feed.type !== spec.dtype)
      throw new InvalidArgumentError(`input "${spec.name}" is ${feed.type}; the model takes ${spec.dtype}`);
    return this.tf.tensor(feed.data as tfjs.TypedArray, [...feed.dims], spec.dtype);
  }
}

/** Each fetched output as plain data; dataSync's array stays valid after the tensor is disposed. */
function read(fetches: readonly string[], ys: tfjs.Tensor[]): Record<string, PlainTensor> {
  const out: Record<string, PlainTensor> = {};
  fetches.forEach((name, i) => {
    const y = ys[i]!;
    if (y.dtype !== 'float32' && y.dtype !== 'int32' && y.dtype !== 'bool')
      throw new InternalError(`output "${name}" has tfjs dtype ${y.dtype}, which is not served`);
    out[name] = { type: y.dtype, data: y.dataSync() as ArrayBufferView, dims: y.shape };
  });
  return out;
}

/**
 * A functional model's input and output layer names. A Sequential has one input and one output and
 * keeps no names of its own (its symbolic tensors get process-unique suffixes): its input is the
 * one the registry recorded, its output is its last layer.
 */
function layersNames(model: tfjs.LayersModel, signature: Signature): [string[], string[]] {
  if (model.inputNames.length > 0) return [model.inputNames, model.outputNames];
  return [signature.inputs.slice(0, 1).map((s) => s.name), model.layers.slice(-1).map((l) => l.name)];
}

/** Names a graph model answers to: its signature keys and its node names. */
function graphNames(model: tfjs.GraphModel): [string[], string[]] {
  return [
    [...model.inputNodes, ...model.inputs.map((t) => t.name)],
    [...model.outputNodes, ...model.outputs.map((t) => t.name)],
  ];
}
