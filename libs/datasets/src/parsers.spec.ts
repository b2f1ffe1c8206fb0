import { describe, expect, it } from 'vitest';
import { DatasetError } from './dataset.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { parseDataset, readDataset } from './parsers.js';
import { columnStatistics, columnSummaries } from './statistics.js';

const csv = (text: string, labelColumn?: string) =>
  parseDataset(Buffer.from(text), {
    format: 'csv',
    description: 't',
    ...(labelColumn ? { labelColumn } : {}),
  });

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

/** Parses a 1×2 float32 NPY file whose header has `from` replaced with `to` (same length or shorter). */
const npyEdited = (from: string, to: string) =>
  parseDataset(
    Buffer.from(
      npy([[1, 2]])
        .toString('latin1')
        .replace(from, to.padEnd(from.length)),
      'latin1',
    ),
    {
      format: 'npy',
      description: 't',
    },
  );

const headerless = (text: string) =>
  parseDataset(Buffer.from(text), { format: 'csv', header: false, description: 't' });

describe('parseDataset: CSV', () => {
  it.each([
    ['quoted fields', 'a,"b"\n"1",2\n', undefined, [1, 2], []],
    [
      'quoted header names with commas and doubled quotes',
      '"x, left","say ""y""",label\n1,2,0\n3,4,1\n',
      'label',
      [1, 2, 3, 4],
      [0, 1],
    ],
    ['a label column named with a comma', 'a,"is, anomaly"\n1,1\n2,0\n', 'is, anomaly', [1, 2], [1, 0]],
    ['CRLF line ends', 'a,b\r\n1,2\r\n3,4\r\n', undefined, [1, 2, 3, 4], []],
    ['no line end after the last row', 'a,b\n1,2', undefined, [1, 2], []],
    ['blank and space-only lines', 'a,b\n\n1,2\n   \n3,4\n\n', undefined, [1, 2, 3, 4], []],
    ['space-only lines in one column', 'a\r\n1\r\n \t \r\n2\r\n', undefined, [1, 2], []],
    ['spaces around cells and names', ' a , label \n 1 , 0 \n', 'label', [1], [0]],
    ['a UTF-8 byte order mark before the header', '\uFEFFlabel,b\n1,2\n', 'label', [2], [1]],
    ['a quoted line break in a header name', '"a\nb",label\n1,0\n', 'label', [1], [0]],
  ])('reads %s', (_what, text, labelColumn, values, labels) => {
    const d = csv(text, labelColumn);
    expect(Array.from(d.values)).toEqual(values);
    expect(Array.from(d.labels ?? [])).toEqual(labels);
  });

  it('reads a CSV without a header, numbering columns from 1', () => {
    expect(Array.from(headerless('1,2\n3,4\n').values)).toEqual([1, 2, 3, 4]);
    expect(() => headerless('1,2\n3,"x,y"\n')).toThrow('row 2, column 2 is "x,y", not a finite number');
  });

  it.each([
    ['text in a numeric column', 'a,b\n1,2\n3,4\nabc,5\n', 'row 3, column "a" is "abc", not a finite number'],
    ['text holding a comma, quoted', 'a,b\n1,"2,5"\n', 'row 1, column "b" is "2,5", not a finite number'],
    ['text under a quoted header name', '"x, left",b\n1,2\nabc,2\n', 'row 2, column "x, left" is "abc"'],
    ['an empty value', 'a,b\n1,2\n3,\n', 'row 2, column "b" is empty, not a finite number'],
    ['an empty quoted value', 'a,b\n"",2\n', 'row 1, column "a" is empty, not a finite number'],
    ['an empty value before CRLF', 'a,b\r\n1,2\r\n,4\r\n', 'row 2, column "a" is empty, not a finite number'],
    [
      'a quoted empty line in one column',
      'a\n1\n  \n""\n',
      'row 2, column "a" is empty, not a finite number',
    ],
    [
      'a short row',
      'a,b,c\n1,2,3\n4,5\n',
      'row 2 has 2 values but row 1 has 3; every row needs the same width (no value for column "c")',
    ],
    [
      'a long row',
      'a,b\n1,2\n3,4,5\n',
      'row 2 has 3 values but row 1 has 2; every row needs the same width (an extra value in column 3)',
    ],
    [
      'a first row wider than the header',
      'a,b\n1,2,3\n',
      'row 1 has 3 values but the header has 2 columns; every row needs the same width (an extra value in column 3)',
    ],
    [
      'a first row narrower than the header',
      'a,b,c\n1,2\n',
      'row 1 has 2 values but the header has 3 columns; every row needs the same width (no value for column "c")',
    ],
    ['an empty file', '', 'the dataset has no rows'],
    ['a header only', 'a,b\n', 'the dataset has no rows'],
    ['a header only, CRLF', 'a,b\r\n', 'the dataset has no rows'],
    ['an unclosed quote', 'a,b\n1,"2\n', 'the CSV dataset does not parse: Quote Not Closed'],
    ['text after a closing quote', 'a,b\n1,"2"x\n', 'the CSV dataset does not parse'],
  ])('refuses %s', (_what, text, expected) => {
    expect(() => csv(text)).toThrow(DatasetError);
    expect(() => csv(text)).toThrow(expected);
  });

  it('refuses a ragged row without a header, naming the column by number', () => {
    expect(() => headerless('1,2\n3\n')).toThrow(
      'row 2 has 1 values but row 1 has 2; every row needs the same width (no value for column 2)',
    );
  });

  it('refuses a label column that is only part of a quoted name', () => {
    expect(() => csv('"x, y",b\n1,2\n', 'x')).toThrow(
      'label_column "x" is not a column; columns are x, y, b',
    );
  });
});

describe('parseDataset', () => {
  it('reads CSV with a header and a label column, which is not a feature', () => {
    const d = csv('a,b,label\n1,2,0\n3,4,1\n', 'label');
    expect(d).toMatchObject({ rows: 2, features: 2 });
    expect(Array.from(d.values)).toEqual([1, 2, 3, 4]);
    expect(Array.from(d.labels ?? [])).toEqual([0, 1]);
    expect(d.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads JSON rows and objects, and NPY float32 and float64', () => {
    expect(
      Array.from(parseDataset(Buffer.from('[[1,2],[3,4]]'), { format: 'json', description: 't' }).values),
    ).toEqual([1, 2, 3, 4]);
    expect(
      Array.from(
        parseDataset(Buffer.from('[{"x":1,"y":2},{"x":3,"y":4}]'), { format: 'json', description: 't' })
          .values,
      ),
    ).toEqual([1, 2, 3, 4]);
    for (const descr of ['<f4', '<f8']) {
      const d = parseDataset(
        npy(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          descr,
        ),
        { format: 'npy', description: 't' },
      );
      expect(d).toMatchObject({ rows: 2, features: 3 });
      expect(Array.from(d.values)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it.each([
    ['NaN in the data', () => csv('a,b\n1,2\n3,NaN\n'), 'row 2, column "b" is "NaN", not a finite number'],
    ['an empty cell', () => csv('a,b\n1,\n'), 'row 1, column "b"'],
    ['text in the data', () => csv('a,b\n1,x\n'), 'not a finite number'],
    ['mismatched row widths (CSV)', () => csv('a,b\n1,2\n3,4,5\n'), 'row 2 has 3 values but row 1 has 2'],
    [
      'mismatched row widths (JSON)',
      () => parseDataset(Buffer.from('[[1,2],[3]]'), { format: 'json', description: 't' }),
      'row 2 has 1 values but row 1 has 2',
    ],
    [
      'null in JSON',
      () => parseDataset(Buffer.from('[[1,null]]'), { format: 'json', description: 't' }),
      'row 1, column 2 is null',
    ],
    ['no rows', () => csv('a,b\n'), 'no rows'],
    ['a label that is not 0 or 1', () => csv('a,label\n1,2\n', 'label'), 'label 2 must be 0'],
    ['an unknown label column', () => csv('a,b\n1,2\n', 'label'), 'label_column "label" is not a column'],
    [
      'JSON that does not parse',
      () => parseDataset(Buffer.from('[[1,'), { format: 'json', description: 't' }),
      'does not parse',
    ],
    [
      'a 1-D NPY array',
      () =>
        parseDataset(
          Buffer.from(
            npy([[1, 2]])
              .toString('latin1')
              .replace('(1, 2)', '(2,)  '),
            'latin1',
          ),
          { format: 'npy', description: 't' },
        ),
      'must be 2-D',
    ],
    ['an NPY complex array', () => npyEdited('<f4', '<c8'), 'dtype <c8 is not supported'],
    [
      'a 3-D NPY array',
      () => npyEdited('(1, 2), ', '(1,1,2),'),
      'must be 2-D (rows, features); its shape is (1, 1, 2)',
    ],
    [
      'not NPY at all',
      () => parseDataset(Buffer.from('hello world'), { format: 'npy', description: 't' }),
      'bad magic',
    ],
  ])('refuses %s, naming the row or column', (_what, parse, expected) => {
    expect(parse).toThrow(DatasetError);
    expect(parse).toThrow(expected);
  });
});

describe('readDataset: JSON lines, Parquet and column names', () => {
  const options = (format: 'jsonl' | 'parquet', labelColumn?: string) => ({
    format,
    description: 't',
    ...(labelColumn ? { labelColumn } : {}),
  });

  it('reads JSON lines of objects, naming the columns by their keys and leaving the label out', async () => {
    const text = '{"a": 1, "b": 2.5, "y": 0}\n\n{"a": 3, "b": -1, "y": 1}\n';
    const d = await readDataset(Buffer.from(text), options('jsonl', 'y'));
    expect([d.rows, d.features, d.columns]).toEqual([2, 2, ['a', 'b']]);
    expect(Array.from(d.values)).toEqual([1, 2.5, 3, -1]);
    expect(Array.from(d.labels ?? [])).toEqual([0, 1]);
  });

  it('reads JSON lines of arrays, which name no columns', async () => {
    const d = await readDataset(Buffer.from('[1, 2]\n[3, 4]'), options('jsonl'));
    expect([d.rows, d.features, d.columns]).toEqual([2, 2, undefined]);
  });

  it('refuses a JSON line that does not parse, naming the line', async () => {
    await expect(readDataset(Buffer.from('[1, 2]\n[3, \n'), options('jsonl'))).rejects.toThrow(
      /line 2 of the JSON-lines dataset does not parse/,
    );
  });

  it('reads Parquet columns of int64, double and int32 by their schema names', async () => {
    const file = parquetWriteBuffer({
      columnData: [
        { name: 'count', data: [1n, 2n, 3n], type: 'INT64' },
        { name: 'ratio', data: [0.5, 1.5, -2], type: 'DOUBLE' },
        { name: 'label', data: [0, 1, 0], type: 'INT32' },
      ],
    });
    const d = await readDataset(Buffer.from(file), options('parquet', 'label'));
    expect([d.rows, d.features, d.columns]).toEqual([3, 2, ['count', 'ratio']]);
    expect(Array.from(d.values)).toEqual([1, 0.5, 2, 1.5, 3, -2]);
    expect(Array.from(d.labels ?? [])).toEqual([0, 1, 0]);
  });

  it('refuses a Parquet text column, naming the row and column', async () => {
    const file = parquetWriteBuffer({
      columnData: [
        { name: 'x', data: [1, 2], type: 'DOUBLE' },
        { name: 'city', data: ['Oslo', 'Lima'], type: 'STRING' },
      ],
    });
    await expect(readDataset(Buffer.from(file), options('parquet'))).rejects.toThrow(
      'row 1, column "city" is "Oslo", not a finite number',
    );
  });

  it('refuses bytes that are not Parquet', async () => {
    await expect(readDataset(Buffer.from('a,b\n1,2\n'), options('parquet'))).rejects.toThrow(
      /the Parquet dataset does not parse/,
    );
  });
});

describe('columnStatistics', () => {
  it('summarises each column with its name, over every row', () => {
    const values = new Float32Array([1, 10, 3, 10]);
    const [a, b] = columnSummaries(columnStatistics(values, 2, 2), ['a', 'b']);
    expect(a).toMatchObject({ name: 'a', count: 2, mean: 2, stddev: 1, min: 1, max: 3 });
    expect(b).toMatchObject({ name: 'b', mean: 10, stddev: 0, min: 10, max: 10 });
    expect(a?.histogram.counts.reduce((x, y) => x + y)).toBe(2);
  });
});
