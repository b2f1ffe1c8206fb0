import { DatasetError } from './dataset.js';

/**
 * The .npy format (numpy.lib.format), versions 1.0 to 3.0: the magic "\x93NUMPY", a major and minor
 * version byte, the header's length (little-endian u16 in version 1, u32 after), the header (a Python
 * dict literal with 'descr', 'fortran_order' and 'shape'; latin1 before version 3, UTF-8 in it), then
 * the values. numpy pads the header so the values start 64-byte aligned; nothing here relies on that.
 */
const MAGIC = Buffer.from('\x93NUMPY', 'latin1');

/** The dtypes a dataset can be read from, each as a byte size and a reader of one value. */
const DTYPES = {
  '<f4': { size: 4, read: (b: Buffer, at: number) => b.readFloatLE(at) },
  '<f8': { size: 8, read: (b: Buffer, at: number) => b.readDoubleLE(at) },
  '<i4': { size: 4, read: (b: Buffer, at: number) => b.readInt32LE(at) },
  // Past 2^53 the nearest double; the trainer holds float32 anyway.
  '<i8': { size: 8, read: (b: Buffer, at: number) => Number(b.readBigInt64LE(at)) },
  '|u1': { size: 1, read: (b: Buffer, at: number) => b.readUInt8(at) },
  '|b1': { size: 1, read: (b: Buffer, at: number) => (b.readUInt8(at) === 0 ? 0 : 1) },
} as const;

export type NpyDtype = keyof typeof DTYPES;

/** An array read from an .npy file: its dtype, its shape and its values in C (row-major) order. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly values: Float64Array;
}

/** Reads an .npy file of one of the DTYPES in C order; refuses anything else with a DatasetError. */
export function readNpy(bytes: Buffer): NpyArray {
  if (bytes.length < 8 || !bytes.subarray(0, 6).equals(MAGIC)) {
    throw new DatasetError('not an NPY file (bad magic)');
  }
  const [major, minor] = [bytes[6] as number, bytes[7] as number];
  if (major < 1 || major > 3) {
    throw new DatasetError(`NPY format version ${major}.${minor} is not supported; versions 1, 2 and 3 are`);
  }
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) {
    throw new DatasetError(`the NPY header is truncated: the file ends at byte ${bytes.length}`);
  }
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  if (bytes.length < start + headerLength) {
    const held = bytes.length - start;
    throw new DatasetError(
      `the NPY header is truncated: it is ${headerLength} bytes, the file holds ${held}`,
    );
  }
  const header = readHeader(bytes.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLength));
  const dtype = DTYPES[header.dtype];
  const count = header.shape.reduce((n, d) => n * d, 1);
  const data = bytes.subarray(start + headerLength);
  if (data.length < count * dtype.size) {
    const needs = `shape ${pythonTuple(header.shape)} needs ${count * dtype.size}`;
    throw new DatasetError(`the NPY file holds ${data.length} data bytes; ${needs}`);
  }
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = dtype.read(data, i * dtype.size);
  return { dtype: header.dtype, shape: header.shape, values };
}

/** A shape as numpy prints it: (2, 3), (4,) or (). */
export function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function readHeader(text: string): { dtype: NpyDtype; shape: readonly number[] } {
  const dict = parsePythonLiteral(text);
  const problem = (what: string) => new DatasetError(`the NPY header ${what}: ${text.trim()}`);
  if (!(dict instanceof Map)) throw problem('is not a dict');
  for (const key of ['descr', 'fortran_order', 'shape']) if (!dict.has(key)) throw problem(`has no '${key}'`);
  const [descr, fortran, shape] = [dict.get('descr'), dict.get('fortran_order'), dict.get('shape')];
  if (typeof fortran !== 'boolean') throw problem('has a fortran_order that is not True or False');
  if (fortran) throw new DatasetError('NPY arrays in Fortran order are not supported; save with C order');
  const dtypeError = (why: string) =>
    new DatasetError(`NPY dtype ${typeof descr === 'string' ? descr : JSON.stringify(descr)} ${why}`);
  if (typeof descr === 'string' && descr.startsWith('>')) {
    throw dtypeError(`is big-endian, which is not supported; save it as <${descr.slice(1)}`);
  }
  if (typeof descr !== 'string' || !Object.hasOwn(DTYPES, descr)) {
    throw dtypeError(`is not supported; use one of ${Object.keys(DTYPES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw problem('has a shape that is not a tuple of sizes');
  }
  return { dtype: descr as NpyDtype, shape: shape as number[] };
}

type PythonValue = string | number | boolean | null | PythonValue[] | Map<string, PythonValue>;

/**
 * The Python literals numpy writes into a header: a dict with str keys, and str, int, bool, None,
 * tuple and list values (a structured dtype's descr is a list of tuples). Strings hold no escapes.
 */
function parsePythonLiteral(text: string): PythonValue {
  let at = 0;
  const fail = (what: string): never => {
    const where = `${what} at character ${at + 1}`;
    throw new DatasetError(`the NPY header is not a Python literal (${where}): ${text.trim()}`);
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  // Items of a dict, tuple or list up to `close`, each read by `item`, with an optional trailing comma.
  const items = (close: string, item: () => void) => {
    at++;
    for (skipSpace(); text[at] !== close; skipSpace()) {
      item();
      skipSpace();
      if (text[at] === ',') at++;
      else if (text[at] !== close) fail(at < text.length ? `expected ',' or '${close}'` : 'the end');
    }
    at++;
  };
  const value = (): PythonValue => {
    skipSpace();
    const c = text[at];
    if (c === '{') {
      const dict = new Map<string, PythonValue>();
      items('}', () => {
        const key = value();
        if (typeof key !== 'string') fail('a dict key that is not a string');
        skipSpace();
        if (text[at] !== ':') fail("expected ':'");
        at++;
        dict.set(key as string, value());
      });
      return dict;
    }
    if (c === '(' || c === '[') {
      const list: PythonValue[] = [];
      items(c === '(' ? ')' : ']', () => list.push(value()));
      return list;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, at + 1);
      if (end < 0) fail('a string that does not end');
      const s = text.slice(at + 1, end);
      at = end + 1;
      return s;
    }
    const word = /^(?:True|False|None|-?\d+)/.exec(text.slice(at))?.[0];
    if (word === undefined) return fail(c === undefined ? 'the end' : `unexpected ${JSON.stringify(c)}`);
    at += word.length;
    return word === 'True' ? true : word === 'False' ? false : word === 'None' ? null : Number(word);
  };
  const result = value();
  skipSpace();
  if (at < text.length) fail('text after the literal');
  return result;
}
