import type { oip } from '@aimass/contracts';
import { encodeRaw } from '@aimass/tensors';
import type { NamedTensor } from '../types.js';

/** Builds the OIP v2 response. Outputs always travel as raw_output_contents, as Triton does. */
export function encodeInferResponse(
  model: string,
  version: number,
  id: string,
  outputs: readonly NamedTensor[],
): oip.ModelInferResponse {
  return {
    model_name: model,
    model_version: String(version),
    id,
    outputs: outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    raw_output_contents: outputs.map((o) => encodeRaw(o.data)),
  };
}
