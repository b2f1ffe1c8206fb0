import { describe, expect, it } from 'vitest';
import { DATATYPES, typedArrayFor, type FixedSizeDatatype } from './datatypes.js';
import { decodeRaw, decodeTypedContents, elementCount, encodeRaw, TensorCodecError } from './tensor-codec.js';

describe('raw tensor codec', () => {
  const fixed = DATATYPES.filter((d) => d !== 'BYTES') as FixedSizeDatatype[];

  it.each(fixed)('round-trips %s through raw bytes, aligned or not', (dt) => {
    const Ctor = typedArrayFor(dt) as unknown as {
      from(a: ArrayLike<number | bigint>): ArrayLike<number | bigint> & { buffer: ArrayBuffer };
    };
    const big = dt === 'INT64' || dt === 'UINT64';
    const source = Ctor.from(
      Array.from({ length: 6 }, (_, i) => (big ? BigInt(i * 3) : dt === 'BOOL' ? i % 2 : i * 3)),
    );
    const raw = encodeRaw(source as never);
    const shifted = new Uint8Array(raw.length + 1).subarray(1);
    shifted.set(raw);
    for (const bytes of [raw, shifted]) {
      expect(Array.from(decodeRaw(dt, bytes, 6) as ArrayLike<number>)).toEqual(
        Array.from(source as ArrayLike<number>),
      );
    }
  });

  it('round-trips BYTES with length prefixes', () => {
    const raw = encodeRaw(['héllo', '', 'x']);
    const back = decodeRaw('BYTES', raw, 3) as Uint8Array[];
    expect(back.map((b) => Buffer.from(b).toString())).toEqual(['héllo', '', 'x']);
  });

  it.each([
    ['FP32', new Uint8Array(7), 2, 'raw content has 7 bytes but FP32 with 2 elements needs 8'],
    ['INT64', new Uint8Array(8), 2, 'needs 16'],
    ['BYTES', new Uint8Array([5, 0, 0, 0, 1]), 1, 'claims 5 bytes'],
    ['BYTES', new Uint8Array([1, 0]), 1, 'truncated length prefix'],
    ['BYTES', encodeRaw(['a', 'b']), 3, 'holds 2 BYTES elements but the shape needs 3'],
  ] as const)('refuses %s raw input that does not fit (%#)', (dt, bytes, count, message) => {
    expect(() => decodeRaw(dt, bytes, count, 'input "x"')).toThrow(TensorCodecError);
    expect(() => decodeRaw(dt, bytes, count, 'input "x"')).toThrow(message);
  });
});

describe('typed contents', () => {
  it('decodes each datatype from its field', () => {
    expect(Array.from(decodeTypedContents('FP32', { fp32_contents: [1.5, 2] }, 2) as Float32Array)).toEqual([
      1.5, 2,
    ]);
    expect(
      Array.from(
        decodeTypedContents('INT64', { int64_contents: ['9007199254740993', '-1'] }, 2) as BigInt64Array,
      ),
    ).toEqual([9007199254740993n, -1n]);
    expect(
      Array.from(decodeTypedContents('BOOL', { bool_contents: [true, false] }, 2) as Uint8Array),
    ).toEqual([1, 0]);
    expect(Array.from(decodeTypedContents('INT8', { int_contents: [-128, 127] }, 2) as Int8Array)).toEqual([
      -128, 127,
    ]);
    expect(
      Array.from(
        decodeTypedContents('UINT64', { uint64_contents: ['18446744073709551615'] }, 1) as BigUint64Array,
      ),
    ).toEqual([18446744073709551615n]);
  });

  it.each([
    ['FP32', { fp32_contents: [1] }, 2, 'has 1 values but the shape needs 2'],
    [
      'FP32',
      { fp32_contents: [1, 2], int_contents: [1] },
      2,
      'carried in fp32_contents, but int_contents was set',
    ],
    ['FP16', {}, 1, 'no typed contents field'],
    ['INT8', { int_contents: [1, 300] }, 2, 'value 1 (300) is not an integer in the INT8 range'],
    ['UINT16', { uint_contents: [-1] }, 1, 'value 0 (-1) is not an integer in the UINT16 range'],
    ['INT32', { int_contents: [1.5] }, 1, 'value 0 (1.5) is not an integer in the INT32 range'],
    ['UINT64', { uint64_contents: ['-1'] }, 1, 'value 0 (-1) is not an integer in the UINT64 range'],
    ['INT64', { int64_contents: ['9223372036854775808'] }, 1, 'is not an integer in the INT64 range'],
    ['INT64', { int64_contents: ['1e3'] }, 1, 'value 0 (1e3) is not an integer in the INT64 range'],
  ] as const)('refuses %s contents that do not fit (%#)', (dt, contents, count, message) => {
    expect(() => decodeTypedContents(dt, contents as Record<string, unknown>, count)).toThrow(
      TensorCodecError,
    );
    expect(() => decodeTypedContents(dt, contents as Record<string, unknown>, count)).toThrow(message);
  });
});

describe('elementCount', () => {
  it('multiplies dimensions', () => expect(elementCount([2, 3, 4])).toBe(24));
  it.each([[[-1, 2]], [[1.5]], [[2 ** 40, 2 ** 20]]])('refuses %j', (shape) => {
    expect(() => elementCount(shape)).toThrow(TensorCodecError);
  });
});
