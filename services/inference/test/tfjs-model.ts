import type * as tf from '@tensorflow/tfjs';

/** The bytes of a tensor's values, for bit-for-bit comparisons. */
export function tensorBytes(t: tf.Tensor): Buffer {
  const d = t.dataSync() as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}
