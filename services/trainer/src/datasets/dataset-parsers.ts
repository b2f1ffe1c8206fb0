import { createHash } from 'node:crypto';
import { type Dataset, DatasetError } from './dataset.js';

export type DatasetFormat = 'csv' | 'npy' | 'json';

export interface ParseOptions {
  readonly format: DatasetFormat;
  readonly labelColumn?: string | number | undefined;
  readonly header?: boolean;
  readonly description: string;
}

/**
 * Reads a CSV, NPY (float32/float64, 2-D, C order) or JSON (array of number arrays, or of objects)
 * file into a Dataset. Refuses, naming the row and column, anything that is not a finite number and
 * rows of differing widths.
 */
export function parseDataset(bytes: Buffer, options: ParseOptions): Dataset {
  const digest = createHash('sha256').update(bytes).digest('hex');
  const table = options.format === 'npy' ? parseNpy(bytes) : options.format === 'csv' ? parseCsv(bytes.toString('utf8'), options.header ?? true) : parseJson(bytes.toString('utf8'));
  return toDataset(table, options, digest);
}

interface Table {
  readonly columns?: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

function toDataset(table: Table, options: ParseOptions, digest: string): Dataset {
  if (table.rows.length === 0) throw new DatasetError('the dataset has no rows');
  const width = table.rows[0]?.length ?? 0;
  const labelIndex = labelColumnIndex(table, options.labelColumn, width);
  const features = width - (labelIndex === undefined ? 0 : 1);
  if (features < 1) throw new DatasetError('the dataset has no feature columns');
  const values = new Float32Array(table.rows.length * features);
  const labels = labelIndex === undefined ? undefined : new Uint8Array(table.rows.length);
  table.rows.forEach((row, r) => {
    if (row.length !== width) throw new DatasetError(`row ${r + 1} has ${row.length} values but row 1 has ${width}; every row needs the same width`);
    let f = 0;
    row.forEach((cell, c) => {
      const value = typeof cell === 'number' ? cell : typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : Number.NaN;
      if (!Number.isFinite(value)) throw new DatasetError(`row ${r + 1}, column ${columnName(table, c)} is ${JSON.stringify(cell)}, not a finite number`);
      if (c === labelIndex) {
        if (value !== 0 && value !== 1) throw new DatasetError(`row ${r + 1}: label ${value} must be 0 (normal) or 1 (anomaly)`);
        (labels as Uint8Array)[r] = value;
      } else {
        values[r * features + f] = value;
        f += 1;
      }
    });
  });
  return { rows: table.rows.length, features, values, ...(labels ? { labels } : {}), digest, description: options.description };
}

function labelColumnIndex(table: Table, label: string | number | undefined, width: number): number | undefined {
  if (label === undefined) return undefined;
  if (typeof label === 'number') {
    if (label >= width) throw new DatasetError(`label_column ${label} is past the last column (${width - 1})`);
    return label;
  }
  const index = table.columns?.indexOf(label) ?? -1;
  if (index < 0) throw new DatasetError(`label_column "${label}" is not a column; columns are ${table.columns?.join(', ') ?? '(unnamed)'}`);
  return index;
}

function columnName(table: Table, c: number): string {
  return table.columns?.[c] !== undefined ? `"${table.columns[c]}"` : String(c + 1);
}

function parseCsv(text: string, header: boolean): Table {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const split = (line: string) => line.split(',').map((cell) => cell.trim());
  if (!header) return { rows: lines.map(split) };
  const [first, ...rest] = lines;
  return { columns: first === undefined ? [] : split(first), rows: rest.map(split) };
}

function parseJson(text: string): Table {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(`the JSON dataset does not parse: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new DatasetError('a JSON dataset must be an array of rows');
  if (data.every((row) => Array.isArray(row))) return { rows: data as unknown[][] };
  if (data.every((row) => typeof row === 'object' && row !== null)) {
    const columns = Object.keys(data[0] as object);
    return { columns, rows: data.map((row: Record<string, unknown>, r) => {
      const keys = Object.keys(row);
      if (keys.length !== columns.length) throw new DatasetError(`row ${r + 1} has ${keys.length} fields but row 1 has ${columns.length}; every row needs the same fields`);
      return columns.map((c) => row[c]);
    }) };
  }
  throw new DatasetError('a JSON dataset must be an array of number arrays or of objects');
}

/** NPY v1/v2/v3: magic, version, header length, a Python dict header, then C-order data. */
function parseNpy(bytes: Buffer): Table {
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new DatasetError('not an NPY file (bad magic)');
  const major = bytes[6] as number;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (fortran) throw new DatasetError('NPY arrays in Fortran order are not supported; save with C order');
  if (!shape || shape.length !== 2) throw new DatasetError(`an NPY dataset must be 2-D (rows, features); its shape is (${shape?.join(', ') ?? '?'})`);
  const [rows, cols] = shape as [number, number];
  const data = bytes.subarray(start + headerLength);
  const size = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (size === 0) throw new DatasetError(`NPY dtype ${descr ?? '?'} is not supported; use little-endian float32 (<f4) or float64 (<f8)`);
  if (data.length < rows * cols * size) throw new DatasetError(`the NPY file holds ${data.length} data bytes; shape (${rows}, ${cols}) needs ${rows * cols * size}`);
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) row.push(size === 4 ? data.readFloatLE((r * cols + c) * 4) : data.readDoubleLE((r * cols + c) * 8));
    out.push(row);
  }
  return { rows: out };
}
