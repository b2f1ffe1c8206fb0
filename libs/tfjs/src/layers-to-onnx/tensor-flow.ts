import type { OnnxGraphBuilder } from '@aimass/onnx';
import { onnx } from '@aimass/tensors';

/**
 * The tensor between two layers. `shape` is always the tfjs shape after the batch (channels last);
 * `layout` says whether the ONNX tensor holds it that way or transposed to channels first (NCHW),
 * which ONNX's Conv and pooling take. Runs of convolutions stay channels first; the tensor goes back
 * only where a layer depends on the order (Flatten, Dense, Reshape, the output), so the model takes
 * and returns the same tensors as the tfjs one.
 */
export interface FlowTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly layout: 'channels_last' | 'channels_first';
}

export function channelsLast(b: OnnxGraphBuilder, x: FlowTensor, prefix: string): FlowTensor {
  if (x.layout === 'channels_last') return x;
  const spatial = x.shape.slice(0, -1).map((_, i) => i + 2);
  const name = transpose(b, x.name, [0, ...spatial, 1], `${prefix}.to_channels_last`);
  return { ...x, name, layout: 'channels_last' };
}

export function channelsFirst(b: OnnxGraphBuilder, x: FlowTensor, prefix: string): FlowTensor {
  if (x.layout === 'channels_first') return x;
  const spatial = x.shape.slice(0, -1).map((_, i) => i + 1);
  const name = transpose(b, x.name, [0, x.shape.length, ...spatial], `${prefix}.to_channels_first`);
  return { ...x, name, layout: 'channels_first' };
}

export const ints = (name: string, values: readonly number[]): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: [...values],
});
export const int = (name: string, i: number): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});
export const float = (name: string, f: number): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOAT,
  f,
});

function transpose(b: OnnxGraphBuilder, x: string, perm: number[], output: string): string {
  return b.op('Transpose', [x], output, [ints('perm', perm)]);
}
