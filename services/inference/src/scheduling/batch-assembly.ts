import { InternalError } from '@aimass/errors';
import type { TensorData, TypedArray } from '@aimass/tensors';
import type { InferenceRequest, NamedTensor } from '../types.js';

/** Rows a request contributes to a batch: the first dimension of its inputs. */
export function rowsOf(request: InferenceRequest): number {
  return request.inputs[0]?.shape[0] ?? 1;
}

/**
 * Requests can share an execution when they ask for the same outputs and their inputs agree on
 * every dimension but the first.
 */
export function batchKeyOf(request: InferenceRequest): string {
  const inputs = [...request.inputs]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((t) => `${t.name}:${t.shape.slice(1).join('x')}`)
    .join(',');
  return `${inputs}|${request.outputs.join(',')}`;
}

/** The inputs of several compatible requests stacked along dimension 0, in request order. */
export function concatInputs(requests: readonly InferenceRequest[]): NamedTensor[] {
  if (requests.length === 1) return requests[0]!.inputs;
  return requests[0]!.inputs.map((first) => {
    const parts = requests.map((r) => r.inputs.find((t) => t.name === first.name)!);
    const rows = parts.reduce((n, t) => n + t.shape[0]!, 0);
    return {
      name: first.name,
      datatype: first.datatype,
      shape: [rows, ...first.shape.slice(1)],
      data: concatData(parts.map((t) => t.data)),
    };
  });
}

function concatData(parts: readonly TensorData[]): TensorData {
  if (Array.isArray(parts[0])) return (parts as Uint8Array[][]).flat();
  const typed = parts as TypedArray[];
  const Ctor = typed[0]!.constructor as new (n: number) => TypedArray;
  const out = new Ctor(typed.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of typed) {
    (out as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(
      part as ArrayLike<unknown>,
      offset,
    );
    offset += part.length;
  }
  return out;
}

/**
 * Splits a batch's outputs back into per-request outputs (views, no copies). Every output must keep
 * the batch in its first dimension; a model that does not cannot be batched, which is an error of
 * the batching policy, not of the caller.
 */
export function splitOutputs(
  outputs: readonly NamedTensor[],
  rows: readonly number[],
  label: string,
): NamedTensor[][] {
  const total = rows.reduce((a, b) => a + b, 0);
  const perRequest: NamedTensor[][] = rows.map(() => []);
  for (const out of outputs) {
    if (out.shape[0] !== total) {
      throw new InternalError(
        `${label} returned output "${out.name}" with shape [${out.shape.join(', ')}] for a batch of ${total} rows; set its version tag inference.max_batch_size=1`,
      );
    }
    const perRow = out.data.length / total;
    let row = 0;
    rows.forEach((n, i) => {
      const start = row * perRow;
      const end = (row + n) * perRow;
      const data = Array.isArray(out.data)
        ? out.data.slice(start, end)
        : (out.data as TypedArray).subarray(start, end);
      perRequest[i]!.push({
        name: out.name,
        datatype: out.datatype,
        shape: [n, ...out.shape.slice(1)],
        data,
      });
      row += n;
    });
  }
  return perRequest;
}
