import { onnx } from './onnx-proto.js';
import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  DATATYPES,
  datatypeByteSize,
  datatypeToOnnxElemType,
  datatypeToOrtType,
  isDatatype,
  onnxElemTypeToDatatype,
  ortTypeToDatatype,
  typedArrayFor,
} from './datatypes.js';

describe('datatypes', () => {
  it('lists the thirteen OIP v2 datatypes', () => {
    expect([...DATATYPES].sort()).toEqual([
      'BOOL',
      'BYTES',
      'FP16',
      'FP32',
      'FP64',
      'INT16',
      'INT32',
      'INT64',
      'INT8',
      'UINT16',
      'UINT32',
      'UINT64',
      'UINT8',
    ]);
  });

  it.each([
    ['FP32', true],
    ['BYTES', true],
    ['fp32', false],
    ['BF16', false],
    ['', false],
    [42, false],
    [undefined, false],
  ])('isDatatype(%j) is %s', (value, expected) => {
    expect(isDatatype(value)).toBe(expected);
  });

  describe.each(DATATYPES)('%s', (dt) => {
    it('round-trips through the ORT tensor type', () => {
      expect(ortTypeToDatatype(datatypeToOrtType(dt))).toBe(dt);
    });

    it('round-trips through the ONNX element type', () => {
      expect(onnxElemTypeToDatatype(datatypeToOnnxElemType(dt))).toBe(dt);
    });

    it('has a byte size matching its typed array', () => {
      const ctor = typedArrayFor(dt);
      if (dt === 'BYTES') {
        expect(ctor).toBeUndefined();
        expect(datatypeByteSize(dt)).toBeUndefined();
      } else {
        expect(ctor?.BYTES_PER_ELEMENT).toBe(datatypeByteSize(dt));
      }
    });

    it('builds an ORT tensor from its typed array', () => {
      const ctor = typedArrayFor(dt);
      const tensor =
        ctor === undefined
          ? new Tensor('string', ['a', 'b'], [2])
          : new Tensor(datatypeToOrtType(dt), new ctor(2), [2]);
      expect(tensor.type).toBe(datatypeToOrtType(dt));
      expect(tensor.size).toBe(2);
    });
  });

  it('has no OIP datatype for ORT 4-bit types or ONNX bfloat16 and complex types', () => {
    expect(ortTypeToDatatype('uint4')).toBeUndefined();
    expect(ortTypeToDatatype('int4')).toBeUndefined();
    expect(ortTypeToDatatype('FP32')).toBeUndefined();
    const E = onnx.TensorProto.DataType;
    for (const t of [E.UNDEFINED, E.BFLOAT16, E.COMPLEX64, E.COMPLEX128, 999]) {
      expect(onnxElemTypeToDatatype(t)).toBeUndefined();
    }
  });
});
