import { onnxElemTypeToDatatype, typedArrayFor, type Datatype, type FixedSizeDatatype } from './datatypes.js';
import { onnx } from './onnx-proto.js';
import {
  decodeRaw,
  elementCount,
  TensorCodecError,
  type TensorData,
  type TypedArray,
} from './tensor-codec.js';

export interface DecodedTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly data: TensorData;
}

type Int64 = number | { toString(): string };

/**
 * Decodes a serialized ONNX TensorProto (the input_N.pb / output_N.pb files of ONNX test data sets)
 * into tensor data in the layout OIP raw contents use. Throws TensorCodecError naming what is wrong.
 */
export function decodeTensorProto(bytes: Uint8Array): DecodedTensor {
  let t: onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (err) {
    throw new TensorCodecError(`not a TensorProto: ${(err as Error).message}`, { cause: err });
  }
  const what = `tensor "${t.name}"`;
  const datatype = onnxElemTypeToDatatype(t.dataType);
  if (!datatype)
    throw new TensorCodecError(`${what}: ONNX element type ${t.dataType} has no OIP v2 datatype`);
  const shape = t.dims.map((d) => Number(String(d)));
  const count = elementCount(shape, what);
  if (datatype === 'BYTES')
    return { name: t.name, datatype, shape, data: t.stringData.map((s) => Buffer.from(s)) };
  if (t.rawData && t.rawData.length > 0)
    return { name: t.name, datatype, shape, data: decodeRaw(datatype, t.rawData, count, what) };
  return { name: t.name, datatype, shape, data: fromTypedFields(t, datatype, count, what) };
}

function fromTypedFields(t: onnx.TensorProto, dt: Datatype, count: number, what: string): TypedArray {
  const Ctor = typedArrayFor(dt as FixedSizeDatatype) as unknown as {
    from(values: ArrayLike<unknown>): TypedArray;
  };
  // ONNX stores the narrow integer types, BOOL and FLOAT16 (as bit patterns) in int32_data and
  // UINT32/UINT64 in uint64_data.
  let values: ArrayLike<unknown>;
  switch (dt) {
    case 'FP32':
      values = t.floatData;
      break;
    case 'FP64':
      values = t.doubleData;
      break;
    case 'INT64':
      values = (t.int64Data as Int64[]).map((v) => BigInt(String(v)));
      break;
    case 'UINT64':
      values = (t.uint64Data as Int64[]).map((v) => BigInt(String(v)));
      break;
    case 'UINT32':
      values = (t.uint64Data as Int64[]).map((v) => Number(String(v)));
      break;
    default:
      values = t.int32Data;
  }
  if (values.length !== count)
    throw new TensorCodecError(`${what}: holds ${values.length} values but its dims need ${count}`);
  return Ctor.from(values);
}
