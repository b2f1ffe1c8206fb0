import { describe, expect, it } from 'vitest';
import { DatasetError } from './dataset.js';
import { readNpy } from './npy.js';

// Files are written here as numpy.lib.format writes them (numpy 2.4 writes the same bytes for these
// arrays): the header padded with spaces and a newline so the values start 64-byte aligned.
function npyFile(header: string, data: Buffer, version = 1): Buffer {
  const prefix = Buffer.alloc(version === 1 ? 10 : 12);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = version;
  const encoding = version === 3 ? 'utf8' : 'latin1';
  let padded = header;
  while ((prefix.length + Buffer.byteLength(padded, encoding) + 1) % 64 !== 0) padded += ' ';
  const text = Buffer.from(`${padded}\n`, encoding);
  if (version === 1) prefix.writeUInt16LE(text.length, 8);
  else prefix.writeUInt32LE(text.length, 8);
  return Buffer.concat([prefix, text, data]);
}

const dict = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

const WRITERS: Record<string, [size: number, write: (b: Buffer, v: number, at: number) => unknown]> = {
  '<f4': [4, (b, v, at) => b.writeFloatLE(v, at)],
  '<f8': [8, (b, v, at) => b.writeDoubleLE(v, at)],
  '<i4': [4, (b, v, at) => b.writeInt32LE(v, at)],
  '<i8': [8, (b, v, at) => b.writeBigInt64LE(BigInt(v), at)],
  '|u1': [1, (b, v, at) => b.writeUInt8(v, at)],
  '|b1': [1, (b, v, at) => b.writeUInt8(v, at)],
};

function valuesOf(descr: string, values: readonly number[]): Buffer {
  const [size, write] = WRITERS[descr] as [number, (b: Buffer, v: number, at: number) => unknown];
  const data = Buffer.alloc(values.length * size);
  values.forEach((v, i) => write(data, v, i * size));
  return data;
}

// Six values per dtype that it holds exactly, edges included.
const SAMPLES: Record<string, number[]> = {
  '<f4': [0.5, -1.25, 3, 1024.75, -0, 3.4028234663852886e38],
  '<f8': [0.1, -2.5e300, 3, Number.MIN_VALUE, -0, 1 / 3],
  '<i4': [-2147483648, 2147483647, 0, -1, 5, 6],
  '<i8': [-(2 ** 53), 2 ** 53, 0, -1, 5, 6],
  '|u1': [0, 255, 1, 2, 3, 4],
  '|b1': [0, 1, 1, 0, 1, 0],
};

const SHAPES = [
  { shapeText: '(6,)', shape: [6] },
  { shapeText: '(2, 3)', shape: [2, 3] },
  { shapeText: '(3, 2)', shape: [3, 2] },
];
const goodFiles = [1, 2, 3].flatMap((version) =>
  Object.entries(SAMPLES).flatMap(([descr, values]) => SHAPES.map((s) => ({ version, descr, values, ...s }))),
);

/** A version 1 file whose header is exactly `header`, unpadded, so the values start unaligned. */
function unpadded(header: string, data: Buffer): Buffer {
  const prefix = Buffer.from('\x93NUMPY\x01\x00\x00\x00', 'latin1');
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

describe('readNpy', () => {
  it.each(goodFiles)(
    'reads v$version $descr of shape $shapeText',
    ({ version, descr, shapeText, shape, values }) => {
      const array = readNpy(npyFile(dict(descr, shapeText), valuesOf(descr, values), version));
      expect(array).toEqual({ dtype: descr, shape, values: Float64Array.from(values) });
    },
  );

  it('reads numpy booleans other than 1 as true', () => {
    expect(Array.from(readNpy(npyFile(dict('|b1', '(3,)'), Buffer.from([0, 2, 255]))).values)).toEqual([
      0, 1, 1,
    ]);
  });

  it('reads an int64 beyond 2^53 as the nearest number', () => {
    const data = Buffer.alloc(8);
    data.writeBigInt64LE(2n ** 62n + 1n);
    expect(readNpy(npyFile(dict('<i8', '(1,)'), data)).values[0]).toBe(2 ** 62);
  });

  it.each([
    ['a scalar', dict('<f8', '()'), valuesOf('<f8', [7]), [], [7]],
    ['no rows', dict('<f4', '(0, 3)'), Buffer.alloc(0), [0, 3], []],
    [
      'double-quoted keys in another order, no trailing comma',
      `{"shape": (2,), "fortran_order": False, "descr": "<i4"}`,
      valuesOf('<i4', [1, 2]),
      [2],
      [1, 2],
    ],
    [
      'spaces and tabs around every token',
      `{ 'descr' :\t'<f8' , 'fortran_order' : False , 'shape' : ( 2 , ) }`,
      valuesOf('<f8', [1.5, -2]),
      [2],
      [1.5, -2],
    ],
    ['bytes after the values, which are ignored', dict('|u1', '(2,)'), Buffer.from([1, 2, 3]), [2], [1, 2]],
  ])('reads %s', (_what, header, data, shape, values) => {
    expect(readNpy(unpadded(header, data))).toEqual({
      dtype: expect.any(String),
      shape,
      values: Float64Array.from(values),
    });
  });

  it('reads a version 2 header longer than version 1 can say', () => {
    const header = dict('|u1', '(2,)') + ' '.repeat(70_000);
    expect(Array.from(readNpy(npyFile(header, Buffer.from([5, 6]), 2)).values)).toEqual([5, 6]);
  });

  const f4 = (header: string, data = valuesOf('<f4', [1, 2, 3, 4, 5, 6])) => npyFile(header, data);
  const good = f4(dict('<f4', '(2, 3)'));
  const withVersion = (major: number, minor: number) =>
    Buffer.concat([good.subarray(0, 6), Buffer.from([major, minor]), good.subarray(8)]);
  const v2 = npyFile(dict('<f4', '(2, 3)'), valuesOf('<f4', [1, 2, 3, 4, 5, 6]), 2);
  it.each([
    ['text', Buffer.from('hello world'), 'not an NPY file (bad magic)'],
    ['a file shorter than the magic', Buffer.from('\x93NUM', 'latin1'), 'not an NPY file (bad magic)'],
    [
      'a wrong magic',
      Buffer.concat([Buffer.from('\x93NUMPZ', 'latin1'), good.subarray(6)]),
      'not an NPY file (bad magic)',
    ],
    [
      'a file that ends in the header length',
      good.subarray(0, 9),
      'the NPY header is truncated: the file ends at byte 9',
    ],
    [
      'a file that ends in the header',
      good.subarray(0, 50),
      'the NPY header is truncated: it is 118 bytes, the file holds 40',
    ],
    [
      'a v2 file that ends in the header',
      v2.subarray(0, 60),
      'the NPY header is truncated: it is 116 bytes, the file holds 48',
    ],
    ['version 4.0', withVersion(4, 0), 'NPY format version 4.0 is not supported'],
    ['version 0.9', withVersion(0, 9), 'NPY format version 0.9 is not supported'],
    [
      'complex64',
      f4(dict('<c8', '(2, 3)')),
      'NPY dtype <c8 is not supported; use one of <f4, <f8, <i4, <i8, |u1, |b1',
    ],
    ['float16', f4(dict('<f2', '(2, 3)')), 'NPY dtype <f2 is not supported'],
    ['unsigned int32', f4(dict('<u4', '(2, 3)')), 'NPY dtype <u4 is not supported'],
    ['unicode strings', f4(dict('<U3', '(2, 3)')), 'NPY dtype <U3 is not supported'],
    [
      'a structured dtype',
      f4(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }`),
      'NPY dtype [["a","<f4"]] is not supported',
    ],
    [
      'big-endian float32',
      f4(dict('>f4', '(2, 3)')),
      'NPY dtype >f4 is big-endian, which is not supported; save it as <f4',
    ],
    ['big-endian int64', f4(dict('>i8', '(3,)')), 'NPY dtype >i8 is big-endian'],
    [
      'Fortran order',
      f4(dict('<f4', '(2, 3)', 'True')),
      'NPY arrays in Fortran order are not supported; save with C order',
    ],
    [
      'data shorter than a 2-D shape',
      f4(dict('<f4', '(2, 3)'), Buffer.alloc(20)),
      'holds 20 data bytes; shape (2, 3) needs 24',
    ],
    [
      'data shorter than a 1-D shape',
      f4(dict('<f8', '(4,)'), Buffer.alloc(16)),
      'holds 16 data bytes; shape (4,) needs 32',
    ],
    [
      'no data',
      f4(dict('|b1', '(1,)'), Buffer.alloc(0)),
      'the NPY file holds 0 data bytes; shape (1,) needs 1',
    ],
    ['a header that is a list', f4(`[1, 2]`), 'the NPY header is not a dict: [1, 2]'],
    [
      'a header without a shape',
      f4(`{'descr': '<f4', 'fortran_order': False}`),
      "the NPY header has no 'shape'",
    ],
    [
      'a header without a descr',
      f4(`{'fortran_order': False, 'shape': (6,)}`),
      "the NPY header has no 'descr'",
    ],
    [
      'fortran_order that is not a bool',
      f4(dict('<f4', '(6,)', '0')),
      'has a fortran_order that is not True or False',
    ],
    [
      'a negative size',
      f4(dict('<f4', '(-1, 6)')),
      'the NPY header has a shape that is not a tuple of sizes',
    ],
    [
      'a shape that is a number',
      f4(dict('<f4', '6')),
      'the NPY header has a shape that is not a tuple of sizes',
    ],
    [
      "Python 2's long sizes",
      f4(dict('<f4', '(2L, 3L)')),
      "is not a Python literal (expected ',' or ')' at character",
    ],
    [
      'a string that does not end',
      f4(`{'descr': '<f4}`),
      'is not a Python literal (a string that does not end',
    ],
    ['a dict that does not end', f4(`{'descr': '<f4'`), 'is not a Python literal (the end at character'],
    [
      'text after the dict',
      f4(`${dict('<f4', '(2, 3)')} x`),
      'is not a Python literal (text after the literal',
    ],
    [
      'a key that is not a string',
      f4(`{1: '<f4'}`),
      'is not a Python literal (a dict key that is not a string',
    ],
    ['an empty header', f4(''), 'the NPY header is not a Python literal (the end at character 55)'],
  ])('refuses %s', (_what, bytes, expected) => {
    expect(() => readNpy(bytes)).toThrow(DatasetError);
    expect(() => readNpy(bytes)).toThrow(expected);
  });
});
