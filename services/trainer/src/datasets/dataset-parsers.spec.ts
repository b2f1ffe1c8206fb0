import { describe, expect, it } from 'vitest';
import { DatasetError } from './dataset.js';
import { parseDataset } from './dataset-parsers.js';

const csv = (text: string, labelColumn?: string) => parseDataset(Buffer.from(text), { format: 'csv', description: 't', ...(labelColumn ? { labelColumn } : {}) });

function npy(rows: number[][], descr = '<f4'): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows.length}, ${rows[0]?.length ?? 0}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const size = descr === '<f4' ? 4 : 8;
  const data = Buffer.alloc(rows.flat().length * size);
  rows.flat().forEach((v, i) => (size === 4 ? data.writeFloatLE(v, i * 4) : data.writeDoubleLE(v, i * 8)));
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

describe('parseDataset', () => {
  it('reads CSV with a header and a label column, which is not a feature', () => {
    const d = csv('a,b,label\n1,2,0\n3,4,1\n', 'label');
    expect(d).toMatchObject({ rows: 2, features: 2 });
    expect(Array.from(d.values)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.labels ?? [])).toEqual([0, 1]);
    expect(d.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads JSON rows and objects, and NPY float32 and float64', () => {
    expect(Array.from(parseDataset(Buffer.from('[[1,2],[3,4]]'), { format: 'json', description: 't' }).values)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parseDataset(Buffer.from('[{"x":1,"y":2},{"x":3,"y":4}]'), { format: 'json', description: 't' }).values)).toEqual([1, 2, 3, 4]);
    for (const descr of ['<f4', '<f8']) {
      const d = parseDataset(npy([[1, 2, 3], [4, 5, 6]], descr), { format: 'npy', description: 't' });
      expect(d).toMatchObject({ rows: 2, features: 3 });
      expect(Array.from(d.values)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it.each([
    ['NaN in the data', () => csv('a,b\n1,2\n3,NaN\n'), 'row 2, column "b" is "NaN", not a finite number'],
    ['an empty cell', () => csv('a,b\n1,\n'), 'row 1, column "b"'],
    ['text in the data', () => csv('a,b\n1,x\n'), 'not a finite number'],
    ['mismatched row widths (CSV)', () => csv('a,b\n1,2\n3,4,5\n'), 'row 2 has 3 values but row 1 has 2'],
    ['mismatched row widths (JSON)', () => parseDataset(Buffer.from('[[1,2],[3]]'), { format: 'json', description: 't' }), 'row 2 has 1 values but row 1 has 2'],
    ['null in JSON', () => parseDataset(Buffer.from('[[1,null]]'), { format: 'json', description: 't' }), 'row 1, column 2 is null'],
    ['no rows', () => csv('a,b\n'), 'no rows'],
    ['a label that is not 0 or 1', () => csv('a,label\n1,2\n', 'label'), 'label 2 must be 0'],
    ['an unknown label column', () => csv('a,b\n1,2\n', 'label'), 'label_column "label" is not a column'],
    ['JSON that does not parse', () => parseDataset(Buffer.from('[[1,'), { format: 'json', description: 't' }), 'does not parse'],
    ['a 1-D NPY array', () => parseDataset(Buffer.from(npy([[1, 2]]).toString('latin1').replace('(1, 2)', '(2,)  '), 'latin1'), { format: 'npy', description: 't' }), 'must be 2-D'],
    ['an NPY int array', () => parseDataset(npy([[1]]).fill(0x20, 0, 0), { format: 'npy', description: 't' }) && parseDataset(Buffer.from(npy([[1, 2]]).toString('latin1').replace('<f4', '<i4'), 'latin1'), { format: 'npy', description: 't' }), 'dtype <i4 is not supported'],
    ['not NPY at all', () => parseDataset(Buffer.from('hello world'), { format: 'npy', description: 't' }), 'bad magic'],
  ])('refuses %s, naming the row or column', (_what, parse, expected) => {
    expect(parse).toThrow(DatasetError);
    expect(parse).toThrow(expected);
  });
});
