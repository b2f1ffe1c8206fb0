import { onnx } from '@aimass/tensors';
import { OnnxCompressionError } from '../onnx-errors.js';

const DataType = onnx.TensorProto.DataType;

/** Decodes model bytes; anything that is not an ONNX ModelProto with a graph is an OnnxCompressionError. */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxCompressionError(`not an ONNX model: ${(err as Error).message}`, { cause: err });
  }
  if (!model.graph?.node?.length) throw new OnnxCompressionError('the ONNX model has no graph nodes');
  return model;
}

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  // A standalone copy: protobufjs may hand back a slice of Node's shared Buffer pool.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** The default-domain opset the model imports (0 when it imports none). */
export function defaultOpset(model: onnx.IModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(String(entry?.version ?? 0));
}

export function dimsOf(tensor: onnx.ITensorProto): number[] {
  return (tensor.dims ?? []).map((d) => Number(String(d)));
}

/** The values of a FLOAT tensor (raw_data or float_data), or undefined for any other element type. */
export function float32Values(tensor: onnx.ITensorProto): Float32Array | undefined {
  if (tensor.dataType !== DataType.FLOAT) return undefined;
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw new OnnxCompressionError(
      `initializer "${tensor.name}" keeps its data in an external file; convert a self-contained model`,
    );
  const count = dimsOf(tensor).reduce((a, b) => a * b, 1);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    // Copy: raw_data need not be 4-byte aligned inside the decoded buffer.
    const copy = new Uint8Array(raw);
    return new Float32Array(copy.buffer, 0, count);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

function rawOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** FLOAT16 tensor; values beyond the float16 range saturate at ±65504 rather than becoming infinite. */
export function float16Tensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  const half = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) half[i] = float16Bits(values[i]);
  return { name, dims, dataType: DataType.FLOAT16, rawData: rawOf(half) };
}

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE binary16 bits of `value`, rounded to nearest even; saturates at ±65504, keeps NaN. */
export function float16Bits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa ? 0x7e00 : sign | 0x7bff;
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const halfway = 1 << (shift - 1);
    let out = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > halfway || (rest === halfway && out & 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && out & 1)) out++;
  // A carry out of the mantissa rounds up into the next exponent; past 65504 it saturates.
  return sign | Math.min(out, 0x7bff);
}

export function float32Tensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  return { name, dims, dataType: DataType.FLOAT, rawData: rawOf(values) };
}

export function int8Tensor(name: string, dims: number[], values: Int8Array): onnx.ITensorProto {
  return { name, dims, dataType: DataType.INT8, rawData: rawOf(values) };
}

export function uint8Tensor(name: string, dims: number[], values: Uint8Array): onnx.ITensorProto {
  return { name, dims, dataType: DataType.UINT8, rawData: rawOf(values) };
}

export function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

export function attributeInt(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = (node.attribute ?? []).find((a) => a.name === name);
  return attribute ? Number(String(attribute.i ?? 0)) : fallback;
}

export function attributeFloat(node: onnx.INodeProto, name: string, fallback: number): number {
  const attribute = (node.attribute ?? []).find((a) => a.name === name);
  return attribute ? (attribute.f ?? 0) : fallback;
}

/** Hands out tensor and node names that no existing name in the graph (subgraphs included) uses. */
export class GraphNames {
  private readonly taken = new Set<string>();

  constructor(graph: onnx.IGraphProto) {
    this.collect(graph);
  }

  fresh(base: string): string {
    let name = base;
    for (let n = 1; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }

  private collect(graph: onnx.IGraphProto): void {
    for (const t of graph.initializer ?? []) this.taken.add(t.name ?? '');
    for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
      this.taken.add(v.name ?? '');
    for (const node of graph.node ?? []) {
      for (const name of [...(node.input ?? []), ...(node.output ?? []), node.name ?? ''])
        this.taken.add(name);
      for (const sub of subgraphsOf(node)) this.collect(sub);
    }
  }
}

export function subgraphsOf(node: onnx.INodeProto): onnx.IGraphProto[] {
  return (node.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

/** Every tensor name read inside the node's subgraphs (If/Loop/Scan bodies see outer-scope tensors). */
export function namesReadBySubgraphs(graph: onnx.IGraphProto): Set<string> {
  const names = new Set<string>();
  const visit = (g: onnx.IGraphProto): void => {
    for (const node of g.node ?? []) {
      for (const input of node.input ?? []) names.add(input);
      for (const sub of subgraphsOf(node)) visit(sub);
    }
  };
  for (const node of graph.node ?? []) for (const sub of subgraphsOf(node)) visit(sub);
  return names;
}
