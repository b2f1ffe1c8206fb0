import { describe, expect, it } from 'vitest';
import { TensorJsonError, decodeContents, decodeTensor, encodeTensor } from './tensor-codec.js';

const ROUND_TRIPS: [string, unknown[]][] = [
  ['BOOL', [true, false, true, true]],
  ['UINT8', [0, 1, 128, 255]],
  ['UINT16', [0, 1, 40000, 65535]],
  ['UINT32', [0, 1, 3_000_000_000, 4_294_967_295]],
  ['UINT64', [0, 1, 2 ** 53 - 1, '18446744073709551615']],
  ['INT8', [-128, -1, 0, 127]],
  ['INT16', [-32768, -1, 0, 32767]],
  ['INT32', [-2_147_483_648, -1, 0, 2_147_483_647]],
  ['INT64', ['-9223372036854775808', -(2 ** 53 - 1), 0, '9223372036854775807']],
  ['FP16', [0, 0x3c00, 0x7bff, 0xffff]],
  ['FP32', [0, -1.5, 0.25, 2 ** 127]],
  ['FP64', [0, -1.5, Math.PI, Number.MAX_VALUE]],
  ['BYTES', ['', 'plain', 'ünïcødé ✓', 'a\u0000b']],
];

describe('encodeTensor / decodeTensor', () => {
  it.each(ROUND_TRIPS)('round-trips %s through raw contents', (datatype, data) => {
    const encoded = encodeTensor({ name: 'x', datatype, shape: [2, 2], data });
    const decoded = decodeTensor({ name: 'x', datatype, shape: ['2', '2'] }, encoded.raw);
    expect(decoded).toEqual({ name: 'x', datatype, shape: [2, 2], data });
  });

  it('writes little-endian element bytes', () => {
    expect([...encodeTensor({ name: 'x', datatype: 'INT32', shape: [2], data: [1, -2] }).raw]).toEqual([
      1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff,
    ]);
    expect([...encodeTensor({ name: 'x', datatype: 'FP32', shape: [1], data: [1] }).raw]).toEqual([
      0, 0, 0x80, 0x3f,
    ]);
    expect([...encodeTensor({ name: 'x', datatype: 'INT64', shape: [1], data: ['-2'] }).raw]).toEqual([
      0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
  });

  it('writes BYTES as a 4-byte little-endian length then the UTF-8 bytes', () => {
    const { raw } = encodeTensor({ name: 's', datatype: 'BYTES', shape: [2], data: ['ab', 'é'] });
    expect([...raw]).toEqual([2, 0, 0, 0, 0x61, 0x62, 2, 0, 0, 0, 0xc3, 0xa9]);
  });

  it('accepts data nested exactly as the shape and flattens it row-major', () => {
    const nested = encodeTensor({
      name: 'x',
      datatype: 'FP32',
      shape: [2, 3],
      data: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
    const flat = encodeTensor({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    expect(nested.raw.equals(flat.raw)).toBe(true);
    expect(nested.shape).toEqual([2, 3]);
  });

  it('accepts 0/1 for BOOL and decodes any non-zero byte as true', () => {
    expect([...encodeTensor({ name: 'b', datatype: 'BOOL', shape: [2], data: [1, 0] }).raw]).toEqual([1, 0]);
    expect(decodeTensor({ name: 'b', datatype: 'BOOL', shape: [2] }, Uint8Array.from([7, 0])).data).toEqual([
      true,
      false,
    ]);
  });

  it('decodes contents that sit at an odd offset of a larger buffer', () => {
    const backing = Buffer.alloc(9);
    backing.writeDoubleLE(2.5, 1);
    expect(decodeTensor({ name: 'y', datatype: 'FP64', shape: [1] }, backing.subarray(1)).data).toEqual([
      2.5,
    ]);
  });

  it('handles empty tensors', () => {
    const encoded = encodeTensor({ name: 'e', datatype: 'FP32', shape: [0, 4], data: [] });
    expect(encoded.raw.length).toBe(0);
    expect(decodeTensor({ name: 'e', datatype: 'FP32', shape: [0, 4] }, encoded.raw).data).toEqual([]);
  });
});

describe('bad tensors are refused with a message naming the tensor and the problem', () => {
  it.each([
    [
      'too few elements for the shape',
      { datatype: 'FP32', shape: [1, 4], data: [1, 2, 3] },
      /data has 3 elements but shape \[1, 4\] needs 4/,
    ],
    [
      'too many elements for the shape',
      { datatype: 'FP32', shape: [2], data: [1, 2, 3] },
      /data has 3 elements but shape \[2\] needs 2/,
    ],
    [
      'nesting that disagrees with the shape',
      {
        datatype: 'FP32',
        shape: [2, 3],
        data: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      /data should be a list of 2/,
    ],
    [
      'a ragged inner list',
      { datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3]] },
      /data\[1\] should be a list of 2 .*got 1 entries/,
    ],
    [
      'nesting deeper than the shape',
      { datatype: 'FP32', shape: [1, 1], data: [[[1]]] },
      /nested deeper than shape/,
    ],
    [
      'an unknown datatype',
      { datatype: 'FLOAT32', shape: [1], data: [1] },
      /unknown datatype "FLOAT32"; expected one of BOOL, .*FP32/,
    ],
    ['a lower-case datatype', { datatype: 'fp32', shape: [1], data: [1] }, /unknown datatype "fp32"/],
    [
      'a negative dimension',
      { datatype: 'FP32', shape: [-1], data: [] },
      /shape\[0\] is -1; dimensions are non-negative integers/,
    ],
    [
      'a string in FP32 data',
      { datatype: 'FP32', shape: [2], data: [1, '2'] },
      /element 1 is "2"; FP32 needs numbers/,
    ],
    [
      'an FP32 value beyond the float32 range',
      { datatype: 'FP32', shape: [1], data: [1e39] },
      /element 0 is 1e\+39; FP32 needs numbers within ±3.4028234663852886e\+38/,
    ],
    [
      'null in FP64 data',
      { datatype: 'FP64', shape: [1], data: [null] },
      /element 0 is null; FP64 needs numbers/,
    ],
    [
      'a fraction in INT32 data',
      { datatype: 'INT32', shape: [1], data: [1.5] },
      /element 0 is 1.5; INT32 needs an integer in \[-2147483648, 2147483647\]/,
    ],
    [
      'an out-of-range UINT8',
      { datatype: 'UINT8', shape: [2], data: [0, 256] },
      /element 1 is 256; UINT8 needs an integer in \[0, 255\]/,
    ],
    [
      'a negative UINT64 string',
      { datatype: 'UINT64', shape: [1], data: ['-1'] },
      /UINT64 needs an integer in \[0, 18446744073709551615\]/,
    ],
    [
      'an INT64 beyond its range',
      { datatype: 'INT64', shape: [1], data: ['9223372036854775808'] },
      /INT64 needs an integer/,
    ],
    [
      'an unsafe INT64 number',
      { datatype: 'INT64', shape: [1], data: [2 ** 60] },
      /a number or a decimal string/,
    ],
    [
      'a decimal string for INT32',
      { datatype: 'INT32', shape: [1], data: ['7'] },
      /element 0 is "7"; INT32 needs an integer/,
    ],
    ['a word in BOOL data', { datatype: 'BOOL', shape: [1], data: ['yes'] }, /BOOL needs true or false/],
    [
      'a float for FP16 bits',
      { datatype: 'FP16', shape: [1], data: [0.5] },
      /FP16 needs an integer in \[0, 65535\] \(the raw IEEE half bit pattern\)/,
    ],
    [
      'a number in BYTES data',
      { datatype: 'BYTES', shape: [1], data: [3] },
      /element 0 is 3; BYTES needs strings/,
    ],
    ['data that is not a list', { datatype: 'FP32', shape: [1], data: 1 }, /data must be an array/],
  ])('%s', (_what, tensor, message) => {
    const attempt = () => encodeTensor({ name: 'input', ...tensor });
    expect(attempt).toThrow(TensorJsonError);
    expect(attempt).toThrow(/^tensor "input": /);
    expect(attempt).toThrow(message);
  });

  it.each([
    [
      'too few bytes',
      'FP32',
      [2],
      Buffer.alloc(7),
      /raw content has 7 bytes but FP32 with 2 elements needs 8/,
    ],
    [
      'too many bytes',
      'INT8',
      [2],
      Buffer.alloc(3),
      /raw content has 3 bytes but INT8 with 2 elements needs 2/,
    ],
    [
      'a truncated BYTES length prefix',
      'BYTES',
      [1],
      Buffer.from([1, 0]),
      /BYTES element 0 has a truncated length prefix/,
    ],
    [
      'a BYTES element longer than the contents',
      'BYTES',
      [1],
      Buffer.from([5, 0, 0, 0, 0x61]),
      /claims 5 bytes but only 1 remain/,
    ],
    [
      'fewer BYTES elements than the shape',
      'BYTES',
      [2],
      Buffer.from([1, 0, 0, 0, 0x61]),
      /holds 1 BYTES elements but the shape needs 2/,
    ],
    ['an unknown datatype', 'COMPLEX64', [1], Buffer.alloc(8), /unknown datatype "COMPLEX64"/],
  ])('decoding refuses %s', (_what, datatype, shape, raw, message) => {
    const attempt = () => decodeTensor({ name: 'out', datatype, shape }, raw);
    expect(attempt).toThrow(TensorJsonError);
    expect(attempt).toThrow(/^tensor "out": /);
    expect(attempt).toThrow(message);
  });
});

describe('decodeContents (typed contents instead of raw bytes)', () => {
  const empty = {
    bool_contents: [],
    int_contents: [],
    int64_contents: [],
    uint_contents: [],
    uint64_contents: [],
    fp32_contents: [],
    fp64_contents: [],
    bytes_contents: [],
  };

  it.each([
    ['FP32', { fp32_contents: [0.5, 1.5] }, [0.5, 1.5]],
    ['INT16', { int_contents: [-3, 4] }, [-3, 4]],
    ['UINT32', { uint_contents: [1, 2] }, [1, 2]],
    ['INT64', { int64_contents: ['-5', '9223372036854775807'] }, [-5, '9223372036854775807']],
    ['BOOL', { bool_contents: [true, false] }, [true, false]],
    ['BYTES', { bytes_contents: [Buffer.from('a'), Buffer.from('bc')] }, ['a', 'bc']],
  ])('reads %s from its contents field', (datatype, fields, data) => {
    expect(decodeContents({ name: 'o', datatype, shape: ['2'] }, { ...empty, ...fields }).data).toEqual(data);
  });

  it('refuses a count that disagrees with the shape, FP16 which has no contents field, and values outside the datatype', () => {
    expect(() =>
      decodeContents({ name: 'o', datatype: 'FP32', shape: ['3'] }, { ...empty, fp32_contents: [1] }),
    ).toThrow(/^tensor "o": fp32_contents has 1 values but the shape needs 3/);
    expect(() => decodeContents({ name: 'o', datatype: 'FP16', shape: ['1'] }, empty)).toThrow(
      /^tensor "o": FP16 has no typed contents field/,
    );
    expect(() =>
      decodeContents({ name: 'o', datatype: 'INT8', shape: ['1'] }, { ...empty, int_contents: [300] }),
    ).toThrow(TensorJsonError);
    expect(() =>
      decodeContents({ name: 'o', datatype: 'INT8', shape: ['1'] }, { ...empty, int_contents: [300] }),
    ).toThrow(/^tensor "o": value 0 \(300\) is not an integer in the INT8 range/);
  });
});
