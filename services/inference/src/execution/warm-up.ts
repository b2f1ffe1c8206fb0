import type { Signature } from '@aimass/contracts';
import { typedArrayFor, type Datatype, type FixedSizeDatatype } from '@aimass/tensors';
import type { NamedTensor } from '../types.js';
import type { ModelInstance } from './model-instance.js';

/**
 * One run on zeros (empty strings for BYTES), every variable dimension 1, so onnxruntime allocates
 * and plans before the first caller's request. A model may reject zeros (an index input, say); that
 * is reported to onFailure and does not stop the version from serving.
 */
export async function warmUp(
  instance: ModelInstance,
  signature: Signature,
  onFailure: (err: unknown) => void,
): Promise<void> {
  try {
    const inputs: NamedTensor[] = signature.inputs.map((spec) => {
      const shape = spec.shape.map((d) => (d < 0 ? 1 : d));
      const count = shape.reduce((a, b) => a * b, 1);
      const data =
        spec.datatype === 'BYTES'
          ? Array.from({ length: count }, () => new Uint8Array(0))
          : new (typedArrayFor(spec.datatype as FixedSizeDatatype))(count);
      return { name: spec.name, datatype: spec.datatype as Datatype, shape, data };
    });
    await instance.run(inputs, []);
  } catch (err) {
    onFailure(err);
  }
}
