// @aimass/testing/onnx: what parity tests between a trained model and its exported ONNX graph share.
import { InferenceSession, type Tensor } from 'onnxruntime-node';

/** Runs an ONNX graph once in onnxruntime and returns every output as float32. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Record<string, Tensor>,
): Promise<Record<string, Float32Array>> {
  const session = await InferenceSession.create(bytes);
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** The largest element-wise absolute difference; arrays of different lengths are an error. */
export function largestGap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} values with ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
