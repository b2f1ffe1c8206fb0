import { describe, expect, it } from 'vitest';
import { onnx } from './onnx-proto.js';
import { TensorCodecError } from './tensor-codec.js';
import { decodeTensorProto } from './tensor-proto.js';

const encode = (t: onnx.ITensorProto) => onnx.TensorProto.encode(t).finish();
const T = onnx.TensorProto.DataType;

describe('decodeTensorProto', () => {
  it.each([
    [
      'raw FP32',
      { name: 'x', dims: [2], dataType: T.FLOAT, rawData: new Uint8Array(Float32Array.of(1.5, -2).buffer) },
      'FP32',
      [1.5, -2],
    ],
    ['float_data', { name: 'x', dims: [1, 2], dataType: T.FLOAT, floatData: [3, 4] }, 'FP32', [3, 4]],
    [
      'int32_data holding INT8',
      { dims: [3], dataType: T.INT8, int32Data: [-1, 0, 127] },
      'INT8',
      [-1, 0, 127],
    ],
    ['int64_data', { dims: [2], dataType: T.INT64, int64Data: [5, -6] }, 'INT64', [5n, -6n]],
    [
      'uint64_data holding UINT32',
      { dims: [1], dataType: T.UINT32, uint64Data: [4_000_000_000] },
      'UINT32',
      [4_000_000_000],
    ],
    ['double_data', { dims: [1], dataType: T.DOUBLE, doubleData: [0.1] }, 'FP64', [0.1]],
    ['int32_data holding BOOL', { dims: [2], dataType: T.BOOL, int32Data: [1, 0] }, 'BOOL', [1, 0]],
  ])('reads %s', (_what, proto, datatype, values) => {
    const t = decodeTensorProto(encode(proto as onnx.ITensorProto));
    expect(t.datatype).toBe(datatype);
    expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(values);
  });

  it('reads strings as BYTES elements', () => {
    const t = decodeTensorProto(
      encode({ dims: [2], dataType: T.STRING, stringData: [Buffer.from('a'), Buffer.from('bc')] }),
    );
    expect(t.datatype).toBe('BYTES');
    expect((t.data as Uint8Array[]).map((b) => Buffer.from(b).toString())).toEqual(['a', 'bc']);
  });

  it.each([
    [
      'a value count that does not fit the dims',
      { dims: [3], dataType: T.FLOAT, floatData: [1] },
      'holds 1 values but its dims need 3',
    ],
    [
      'a type OIP cannot carry',
      { dims: [1], dataType: T.BFLOAT16, int32Data: [1] },
      'has no OIP v2 datatype',
    ],
    [
      'raw bytes of the wrong length',
      { dims: [2], dataType: T.FLOAT, rawData: new Uint8Array(7) },
      'raw content has 7 bytes',
    ],
  ])('refuses %s', (_what, proto, message) => {
    expect(() => decodeTensorProto(encode(proto as onnx.ITensorProto))).toThrow(TensorCodecError);
    expect(() => decodeTensorProto(encode(proto as onnx.ITensorProto))).toThrow(message);
  });
});
