import { datatypeToOrtType, ortTypeToDatatype, type Datatype } from '@aimass/ml';
import { InternalError, InvalidArgumentError } from '@aimass/errors';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { NamedTensor } from '../types.js';

type TensorCtor = new (type: string, data: unknown, dims: readonly number[]) => Tensor;

/**
 * One execution slot: an onnxruntime session that runs one request (or batch) at a time per call.
 * The instance owns its session and releases it on close().
 */
export class ModelInstance {
  constructor(
    private readonly session: InferenceSession,
    private readonly TensorClass: TensorCtor,
  ) {}

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(inputs: readonly NamedTensor[], outputs: readonly string[]): Promise<NamedTensor[]> {
    const feeds: Record<string, Tensor> = {};
    for (const input of inputs) feeds[input.name] = this.toOrt(input);
    const fetches = outputs.length > 0 ? [...outputs] : [...this.session.outputNames];
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, fetches);
    } catch (err) {
      // ORT validates what we did not (e.g. a value-dependent shape); its text names the tensor.
      throw new InvalidArgumentError(`the model rejected the request: ${(err as Error).message}`, { cause: err });
    }
    return fetches.map((name) => this.fromOrt(name, results[name]!));
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private toOrt(t: NamedTensor): Tensor {
    if (t.datatype === 'BYTES') {
      const strings = (t.data as Uint8Array[]).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
      return new this.TensorClass('string', strings, t.shape);
    }
    if (t.datatype === 'FP16') {
      // Node 24 has Float16Array; ORT 1.30 then converts Uint16Array input and loses it. Build the
      // tensor from the raw halves as uint16 and relabel it, which ORT passes through unchanged.
      const tensor = new this.TensorClass('uint16', t.data, t.shape);
      (tensor as { type: string }).type = 'float16';
      return tensor;
    }
    return new this.TensorClass(datatypeToOrtType(t.datatype), t.data, t.shape);
  }

  private fromOrt(name: string, tensor: Tensor): NamedTensor {
    const datatype: Datatype | undefined = ortTypeToDatatype(tensor.type);
    if (!datatype) throw new InternalError(`output "${name}" has ORT type ${tensor.type}, which OIP v2 cannot carry`);
    const shape = tensor.dims.map(Number);
    if (datatype === 'BYTES') {
      return { name, datatype, shape, data: (tensor.data as string[]).map((s) => Buffer.from(s, 'utf8')) };
    }
    return { name, datatype, shape, data: tensor.data as NamedTensor['data'] };
  }
}
