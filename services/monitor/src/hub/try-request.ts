import type { oip } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { CONTENTS_FIELD, decodeRaw, elementCount, type Datatype, TensorCodecError } from '@aimass/tensors';

/** One tensor of an OIP v2 request or response in its JSON form: flat data in row-major order. */
export interface JsonTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: readonly (number | string | boolean)[];
}

/** The gRPC ModelInferRequest for a JSON-form request, each input in its typed contents field. */
export function toInferRequest(
  model: string,
  version: string,
  inputs: readonly JsonTensor[],
): oip.ModelInferRequest {
  return {
    model_name: model,
    model_version: version,
    inputs: inputs.map((t) => {
      const what = `input ${t.name}`;
      let count: number;
      try {
        count = elementCount(t.shape, what);
      } catch (err) {
        throw new InvalidArgumentError((err as TensorCodecError).message, { cause: err });
      }
      if (count !== t.data.length)
        throw new InvalidArgumentError(
          `${what}: shape [${t.shape.join(', ')}] holds ${count} values but data has ${t.data.length}`,
        );
      const field = CONTENTS_FIELD[t.datatype];
      if (field === undefined)
        throw new InvalidArgumentError(`${what}: ${t.datatype} cannot be written as JSON numbers here`);
      return {
        name: t.name,
        datatype: t.datatype,
        shape: [...t.shape],
        contents: { [field]: t.data.map((v) => contentValue(t.datatype, v, what)) },
      };
    }),
  };
}

function contentValue(datatype: Datatype, value: number | string | boolean, what: string): unknown {
  if (datatype === 'BYTES') return Buffer.from(String(value));
  if (datatype === 'BOOL') return value === true || value === 'true' || value === 1;
  const n = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || !Number.isFinite(n))
    throw new InvalidArgumentError(`${what}: ${JSON.stringify(value)} is not a ${datatype} number`);
  return n;
}

/** The response's outputs in JSON form (raw contents decoded; 64-bit integers as numbers). */
export function fromInferResponse(response: oip.ModelInferResponse__Output): {
  model_name: string;
  model_version: string;
  outputs: JsonTensor[];
} {
  return {
    model_name: response.model_name,
    model_version: response.model_version,
    outputs: response.outputs.map((o, i) => {
      const shape = o.shape.map(Number);
      const datatype = o.datatype as Datatype;
      const raw = response.raw_output_contents[i];
      const data = raw
        ? Array.from(decodeRaw(datatype, raw, elementCount(shape), `output ${o.name}`) as ArrayLike<unknown>)
        : [];
      return {
        name: o.name,
        datatype,
        shape,
        data: data.map((v) => (typeof v === 'bigint' ? Number(v) : (v as number | string | boolean))),
      };
    }),
  };
}
