import { parse as parseCsvRecords } from 'csv-parse/sync';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { createHash } from 'node:crypto';
import { type Dataset, DatasetError } from './dataset.js';
import { pythonTuple, readNpy } from './npy.js';

export const DATASET_FORMATS = ['csv', 'npy', 'json', 'jsonl', 'parquet'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface ParseOptions {
  readonly format: DatasetFormat;
  readonly labelColumn?: string | number | undefined;
  readonly header?: boolean;
  readonly description: string;
}

/**
 * Reads a CSV (RFC 4180: quoted fields, CRLF or LF, an optional header row), NPY (2-D, C order, a
 * dtype readNpy reads), JSON (array of number arrays, or of objects), JSON-lines (one array or object
 * per line) or Parquet file into a Dataset. Refuses, naming the row and column, anything that is not a
 * finite number, empty values and rows of differing widths.
 */
export async function readDataset(bytes: Buffer, options: ParseOptions): Promise<Dataset> {
  if (options.format !== 'parquet') return parseDataset(bytes, options);
  return toDataset(await parseParquet(bytes), options, sha256(bytes));
}

/** readDataset for the formats that parse synchronously (every one but Parquet). */
export function parseDataset(bytes: Buffer, options: ParseOptions): Dataset {
  const table =
    options.format === 'npy'
      ? parseNpy(bytes)
      : options.format === 'csv'
        ? parseCsv(bytes, options.header ?? true)
        : options.format === 'jsonl'
          ? parseJsonLines(bytes.toString('utf8'))
          : options.format === 'json'
            ? parseJson(bytes.toString('utf8'))
            : undefined;
  if (!table) throw new DatasetError(`format ${options.format} needs readDataset (it parses asynchronously)`);
  return toDataset(table, options, sha256(bytes));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Table {
  readonly columns?: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

function toDataset(table: Table, options: ParseOptions, digest: string): Dataset {
  if (table.rows.length === 0) throw new DatasetError('the dataset has no rows');
  // A header fixes the width; without one, the first row does.
  const width = table.columns?.length ?? table.rows[0]?.length ?? 0;
  const labelIndex = labelColumnIndex(table, options.labelColumn, width);
  const features = width - (labelIndex === undefined ? 0 : 1);
  if (features < 1) throw new DatasetError('the dataset has no feature columns');
  const values = new Float32Array(table.rows.length * features);
  const labels = labelIndex === undefined ? undefined : new Uint8Array(table.rows.length);
  table.rows.forEach((row, r) => {
    if (row.length !== width) throw new DatasetError(raggedRowProblem(table, r, row.length, width));
    let f = 0;
    row.forEach((cell, c) => {
      const empty = typeof cell === 'string' && cell.trim() === '';
      const value =
        typeof cell === 'number' ? cell : typeof cell === 'string' && !empty ? Number(cell) : Number.NaN;
      if (!Number.isFinite(value)) {
        const what = empty ? 'empty' : JSON.stringify(cell);
        throw new DatasetError(
          `row ${r + 1}, column ${columnName(table, c)} is ${what}, not a finite number`,
        );
      }
      if (c === labelIndex) {
        if (value !== 0 && value !== 1)
          throw new DatasetError(`row ${r + 1}: label ${value} must be 0 (normal) or 1 (anomaly)`);
        (labels as Uint8Array)[r] = value;
      } else {
        values[r * features + f] = value;
        f += 1;
      }
    });
  });
  const columns = table.columns?.filter((_, c) => c !== labelIndex).map(String);
  return {
    rows: table.rows.length,
    features,
    values,
    ...(labels ? { labels } : {}),
    ...(columns ? { columns } : {}),
    digest,
    description: options.description,
  };
}

function labelColumnIndex(
  table: Table,
  label: string | number | undefined,
  width: number,
): number | undefined {
  if (label === undefined) return undefined;
  if (typeof label === 'number') {
    if (label >= width)
      throw new DatasetError(`label_column ${label} is past the last column (${width - 1})`);
    return label;
  }
  const index = table.columns?.indexOf(label) ?? -1;
  if (index < 0)
    throw new DatasetError(
      `label_column "${label}" is not a column; columns are ${table.columns?.join(', ') ?? '(unnamed)'}`,
    );
  return index;
}

function columnName(table: Table, c: number): string {
  return table.columns?.[c] !== undefined ? `"${table.columns[c]}"` : String(c + 1);
}

/** Row r is `length` values wide where the table is `width`: which row, and which column is off. */
function raggedRowProblem(table: Table, r: number, length: number, width: number): string {
  // Row 1 is measured against the header; later rows against row 1, which matched it.
  const expected = r === 0 ? `the header has ${width} columns` : `row 1 has ${width}`;
  const column =
    length < width
      ? `no value for column ${columnName(table, length)}`
      : `an extra value in column ${columnName(table, width)}`;
  return `row ${r + 1} has ${length} values but ${expected}; every row needs the same width (${column})`;
}

/**
 * Records as csv-parse reads them (RFC 4180), cells trimmed, blank lines skipped; widths are left to
 * toDataset, which names the row and column that is off.
 */
function parseCsv(bytes: Buffer, header: boolean): Table {
  let records: readonly RawCsvRecord[];
  try {
    // With raw, each record comes back as { record, raw }; its types do not say so.
    records = parseCsvRecords(bytes, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      raw: true,
    }) as unknown as readonly RawCsvRecord[];
  } catch (err) {
    throw new DatasetError(`the CSV dataset does not parse: ${(err as Error).message}`, { cause: err });
  }
  // A line of spaces is blank too; a quoted "" is an empty value, which toDataset refuses.
  const rows = records.filter(({ raw }) => raw.trim() !== '').map(({ record }) => record);
  if (!header) return { rows };
  const [columns = [], ...data] = rows;
  return { columns, rows: data };
}

interface RawCsvRecord {
  readonly record: string[];
  readonly raw: string;
}

function parseJson(text: string): Table {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`the JSON dataset does not parse: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new DatasetError('a JSON dataset must be an array of rows');
  return tableOfRows(data, 'a JSON dataset must be an array of number arrays or of objects');
}

/** One JSON value per non-blank line, each an array of numbers or an object, as pandas' to_json(lines=True) writes. */
function parseJsonLines(text: string): Table {
  const rows: unknown[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line));
    } catch (err) {
      throw new DatasetError(
        `line ${i + 1} of the JSON-lines dataset does not parse: ${(err as Error).message}`,
      );
    }
  });
  return tableOfRows(rows, 'every line of a JSON-lines dataset must be an array of numbers or an object');
}

/** Rows that are all arrays, or all objects with the same keys as the first (its keys name the columns). */
function tableOfRows(data: readonly unknown[], problem: string): Table {
  if (data.every((row) => Array.isArray(row))) return { rows: data as unknown[][] };
  if (data.every((row) => typeof row === 'object' && row !== null)) {
    const columns = Object.keys((data[0] ?? {}) as object);
    return {
      columns,
      rows: data.map((row, r) => {
        const keys = Object.keys(row as object);
        if (keys.length !== columns.length)
          throw new DatasetError(
            `row ${r + 1} has ${keys.length} fields but row 1 has ${columns.length}; every row needs the same fields`,
          );
        return columns.map((c) => (row as Record<string, unknown>)[c]);
      }),
    };
  }
  throw new DatasetError(problem);
}

/** A Parquet file's rows as hyparquet reads them: its schema names the columns; BigInt values become numbers. */
async function parseParquet(bytes: Buffer): Promise<Table> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let columns: string[];
  let rows: unknown[][];
  try {
    const metadata = parquetMetadata(file);
    columns = parquetSchema(metadata).children.map((c) => c.element.name);
    const records = await parquetReadObjects({ file, metadata });
    rows = records.map((record) => columns.map((c) => toNumberish(record[c])));
  } catch (err) {
    throw new DatasetError(`the Parquet dataset does not parse: ${(err as Error).message}`, { cause: err });
  }
  return { columns, rows };
}

const toNumberish = (value: unknown) => (typeof value === 'bigint' ? Number(value) : value);

/** An NPY dataset is a 2-D array, rows by features, of any dtype readNpy reads. */
function parseNpy(bytes: Buffer): Table {
  const { shape, values } = readNpy(bytes);
  if (shape.length !== 2) {
    throw new DatasetError(`an NPY dataset must be 2-D (rows, features); its shape is ${pythonTuple(shape)}`);
  }
  const [rows, cols] = shape as [number, number];
  const row = (r: number) => Array.from(values.subarray(r * cols, (r + 1) * cols));
  return { rows: Array.from({ length: rows }, (_, r) => row(r)) };
}
