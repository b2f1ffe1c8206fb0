import type { oip, Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { decodeRaw, decodeTypedContents, elementCount, isDatatype, TensorCodecError } from '@aimass/tensors';
import type { InferenceRequest, NamedTensor } from '../types.js';

type Contents = oip.InferTensorContents__Output;

/** Per signature, built once: the declared inputs by name and the output names. */
interface Lookups {
  readonly declared: Map<string, Signature['inputs'][number]>;
  readonly known: Set<string>;
}
const lookups = new WeakMap<Signature, Lookups>();

function lookupsOf(signature: Signature): Lookups {
  let l = lookups.get(signature);
  if (!l) {
    l = {
      declared: new Map(signature.inputs.map((s) => [s.name, s])),
      known: new Set(signature.outputs.map((o) => o.name)),
    };
    lookups.set(signature, l);
  }
  return l;
}

/**
 * Turns an OIP v2 ModelInferRequest into validated tensors for one model version. Every refusal is
 * an INVALID_ARGUMENT whose message names the tensor and says what the model expects instead.
 */
export function decodeInferRequest(
  req: oip.ModelInferRequest__Output,
  signature: Signature,
  deadline: number,
): InferenceRequest {
  const { declared, known } = lookupsOf(signature);
  const describe = () =>
    signature.inputs.map((s) => `${s.name} (${s.datatype} [${s.shape.join(', ')}])`).join(', ');
  if (req.inputs.length === 0)
    throw new InvalidArgumentError(`the request has no inputs; the model expects ${describe()}`);
  const raw = req.raw_input_contents ?? [];
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    throw new InvalidArgumentError(
      `raw_input_contents has ${raw.length} entries but there are ${req.inputs.length} inputs; send one per input, in order`,
    );
  }

  const seen = new Set<string>();
  const inputs: NamedTensor[] = req.inputs.map((input, i) => {
    const what = `input "${input.name}"`;
    const spec = declared.get(input.name);
    if (!spec) throw new InvalidArgumentError(`unknown ${what}; the model's inputs are ${describe()}`);
    if (seen.has(input.name)) throw new InvalidArgumentError(`${what} is given twice`);
    seen.add(input.name);
    if (!isDatatype(input.datatype))
      throw new InvalidArgumentError(`${what}: "${input.datatype}" is not an OIP v2 datatype`);
    if (input.datatype !== spec.datatype) {
      throw new InvalidArgumentError(
        `${what}: datatype ${input.datatype} does not match the model's ${spec.datatype}`,
      );
    }
    const shape = input.shape.map(Number);
    checkShape(what, shape, spec.shape);
    let count: number;
    try {
      count = elementCount(shape, what);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message, { cause: err });
    }
    if (count === 0)
      throw new InvalidArgumentError(`${what}: shape [${shape.join(', ')}] has no elements (batch size 0?)`);
    const typedSet = hasTypedContents(input.contents);
    try {
      if (raw.length > 0) {
        if (typedSet)
          throw new InvalidArgumentError(
            `${what}: both raw_input_contents and typed contents are set; use one or the other`,
          );
        return {
          name: input.name,
          datatype: input.datatype,
          shape,
          data: decodeRaw(input.datatype, raw[i]!, count, what),
        };
      }
      if (!typedSet && input.datatype !== 'BYTES') {
        throw new InvalidArgumentError(
          `${what} carries no data: set its typed contents or raw_input_contents`,
        );
      }
      return {
        name: input.name,
        datatype: input.datatype,
        shape,
        data: decodeTypedContents(
          input.datatype,
          (input.contents ?? {}) as Record<string, unknown>,
          count,
          what,
        ),
      };
    } catch (err) {
      if (err instanceof TensorCodecError) throw new InvalidArgumentError(err.message, { cause: err });
      throw err;
    }
  });

  const missing = seen.size === declared.size ? [] : signature.inputs.filter((s) => !seen.has(s.name));
  if (missing.length > 0)
    throw new InvalidArgumentError(
      `missing input ${missing.map((m) => `"${m.name}"`).join(', ')}; the model expects ${describe()}`,
    );

  const outputs = req.outputs.map((o) => o.name);
  for (const name of outputs) {
    if (!known.has(name))
      throw new InvalidArgumentError(
        `unknown requested output "${name}"; the model's outputs are ${[...known].join(', ')}`,
      );
  }
  if (outputs.length > 1 && new Set(outputs).size !== outputs.length)
    throw new InvalidArgumentError('an output is requested twice');
  return { inputs, outputs, deadline };
}

function checkShape(what: string, shape: number[], expected: readonly number[]): void {
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0)
      throw new InvalidArgumentError(
        `${what}: dimension ${dim} in shape [${shape.join(', ')}] is not a non-negative integer`,
      );
  }
  const mismatch =
    shape.length !== expected.length || expected.some((dim, i) => dim >= 0 && dim !== shape[i]);
  if (mismatch) {
    throw new InvalidArgumentError(
      `${what}: shape [${shape.join(', ')}] does not match the model's [${expected.join(', ')}] (-1 is any size)`,
    );
  }
}

function hasTypedContents(contents: Contents | null | undefined): boolean {
  if (!contents) return false;
  return Object.values(contents).some((v) => Array.isArray(v) && v.length > 0);
}
