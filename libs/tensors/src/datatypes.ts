import { onnx } from './onnx-proto.js';
import type { Tensor } from 'onnxruntime-node';

// The Open Inference Protocol v2 datatype names (KServe / Triton `datatype` strings) are the one
// vocabulary aimass speaks on the wire; ORT tensor types and ONNX element types are translated here
// and nowhere else.

export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

/** Every datatype whose elements have a fixed width; BYTES elements are variable-length strings. */
export type FixedSizeDatatype = Exclude<Datatype, 'BYTES'>;

/** The onnxruntime-node tensor types aimass can serve (ORT's 4-bit types have no OIP datatype). */
export type OrtTensorType = Exclude<Tensor.Type, 'uint4' | 'int4'>;

/** Typed array constructors holding each fixed-size datatype, in the layout ORT expects. */
export interface DatatypeArrayConstructors {
  BOOL: Uint8ArrayConstructor;
  UINT8: Uint8ArrayConstructor;
  UINT16: Uint16ArrayConstructor;
  UINT32: Uint32ArrayConstructor;
  UINT64: BigUint64ArrayConstructor;
  INT8: Int8ArrayConstructor;
  INT16: Int16ArrayConstructor;
  INT32: Int32ArrayConstructor;
  INT64: BigInt64ArrayConstructor;
  // IEEE half floats travel as raw 16-bit patterns: ORT's typings declare float16 data as
  // Uint16Array, and OIP raw contents carry the same two bytes per element.
  FP16: Uint16ArrayConstructor;
  FP32: Float32ArrayConstructor;
  FP64: Float64ArrayConstructor;
}

export type DatatypeArrayConstructor = DatatypeArrayConstructors[FixedSizeDatatype];

interface DatatypeFacts {
  byteSize: number | undefined;
  ort: OrtTensorType;
  onnx: onnx.TensorProto.DataType;
  array: DatatypeArrayConstructor | undefined;
}

const ElemType = onnx.TensorProto.DataType;

const FACTS: { readonly [D in Datatype]: DatatypeFacts } = {
  BOOL: { byteSize: 1, ort: 'bool', onnx: ElemType.BOOL, array: Uint8Array },
  UINT8: { byteSize: 1, ort: 'uint8', onnx: ElemType.UINT8, array: Uint8Array },
  UINT16: { byteSize: 2, ort: 'uint16', onnx: ElemType.UINT16, array: Uint16Array },
  UINT32: { byteSize: 4, ort: 'uint32', onnx: ElemType.UINT32, array: Uint32Array },
  UINT64: { byteSize: 8, ort: 'uint64', onnx: ElemType.UINT64, array: BigUint64Array },
  INT8: { byteSize: 1, ort: 'int8', onnx: ElemType.INT8, array: Int8Array },
  INT16: { byteSize: 2, ort: 'int16', onnx: ElemType.INT16, array: Int16Array },
  INT32: { byteSize: 4, ort: 'int32', onnx: ElemType.INT32, array: Int32Array },
  INT64: { byteSize: 8, ort: 'int64', onnx: ElemType.INT64, array: BigInt64Array },
  FP16: { byteSize: 2, ort: 'float16', onnx: ElemType.FLOAT16, array: Uint16Array },
  FP32: { byteSize: 4, ort: 'float32', onnx: ElemType.FLOAT, array: Float32Array },
  FP64: { byteSize: 8, ort: 'float64', onnx: ElemType.DOUBLE, array: Float64Array },
  BYTES: { byteSize: undefined, ort: 'string', onnx: ElemType.STRING, array: undefined },
};

const BY_ORT = new Map<string, Datatype>(DATATYPES.map((dt) => [FACTS[dt].ort, dt]));
const BY_ONNX = new Map<number, Datatype>(DATATYPES.map((dt) => [FACTS[dt].onnx, dt]));
const KNOWN = new Set<string>(DATATYPES);

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Bytes per element, or undefined for BYTES whose elements have no fixed width. */
export function datatypeByteSize(dt: Datatype): number | undefined {
  return FACTS[dt].byteSize;
}

export function datatypeToOrtType(dt: Datatype): OrtTensorType {
  return FACTS[dt].ort;
}

/** The OIP datatype of an ORT tensor type, or undefined when OIP has no equivalent (uint4, int4). */
export function ortTypeToDatatype(type: string): Datatype | undefined {
  return BY_ORT.get(type);
}

/** The ONNX TensorProto.DataType number stored in a model's type info and initializers. */
export function datatypeToOnnxElemType(dt: Datatype): onnx.TensorProto.DataType {
  return FACTS[dt].onnx;
}

/** The OIP datatype of an ONNX element type, or undefined for BFLOAT16, complex and unknown types. */
export function onnxElemTypeToDatatype(elemType: number): Datatype | undefined {
  return BY_ONNX.get(elemType);
}

export function typedArrayFor<D extends FixedSizeDatatype>(dt: D): DatatypeArrayConstructors[D];
export function typedArrayFor(dt: Datatype): DatatypeArrayConstructor | undefined;
export function typedArrayFor(dt: Datatype): DatatypeArrayConstructor | undefined {
  return FACTS[dt].array;
}
