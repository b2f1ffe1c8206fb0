import { datatypeToOrtType, ortTypeToDatatype, type Datatype } from '@aimass/tensors';
import { InternalError, InvalidArgumentError } from '@aimass/errors';
import type { NamedTensor } from '../types.js';
import type { PlainTensor, SessionRunner } from './session-runner.js';

/**
 * One execution slot: an onnxruntime session (on this thread or a worker thread) or a tfjs model,
 * behind a SessionRunner, that runs one request (or batch) at a time per call. The instance owns
 * its runner and releases it on close().
 */
export class ModelInstance {
  constructor(private readonly session: SessionRunner) {}

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(inputs: readonly NamedTensor[], outputs: readonly string[]): Promise<NamedTensor[]> {
    const feeds: Record<string, PlainTensor> = {};
    for (const input of inputs) feeds[input.name] = toPlain(input);
    const fetches = outputs.length > 0 ? outputs : this.session.outputNames;
    let results: Record<string, PlainTensor>;
    try {
      results = await this.session.run(feeds, fetches);
    } catch (err) {
      // The runtime validates what we did not (e.g. a value-dependent shape); its text names the tensor.
      throw new InvalidArgumentError(`the model rejected the request: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return fetches.map((name) => fromPlain(name, results[name]!));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function toPlain(t: NamedTensor): PlainTensor {
  if (t.datatype === 'BYTES') {
    const strings = (t.data as Uint8Array[]).map((b) =>
      Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'),
    );
    return { type: 'string', data: strings, dims: t.shape };
  }
  return { type: datatypeToOrtType(t.datatype), data: t.data as ArrayBufferView, dims: t.shape };
}

function fromPlain(name: string, tensor: PlainTensor): NamedTensor {
  const datatype: Datatype | undefined = ortTypeToDatatype(tensor.type);
  if (!datatype)
    throw new InternalError(`output "${name}" has ORT type ${tensor.type}, which OIP v2 cannot carry`);
  const shape = tensor.dims.map(Number);
  if (datatype === 'BYTES') {
    return { name, datatype, shape, data: (tensor.data as string[]).map((s) => Buffer.from(s, 'utf8')) };
  }
  return { name, datatype, shape, data: tensor.data as NamedTensor['data'] };
}
