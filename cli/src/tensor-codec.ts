import {
  DATATYPES,
  type Datatype,
  TensorCodecError,
  type TensorData,
  decodeRaw,
  decodeTypedContents,
  elementCount,
  encodeRaw,
  isDatatype,
  typedArrayFor,
} from '@aimass/tensors';
import type { oip } from '@aimass/contracts';
import { CliError } from './errors.js';

// Tensors as people write them in JSON <-> the typed values libs/tensors encodes as OIP v2 raw contents
// (and decodes from raw or typed contents). This file owns only the JSON side: element forms,
// nesting and per-datatype validation. The bytes are libs/tensors'.
//
// JSON element forms, per datatype:
//   BOOL                  true / false (0 and 1 are accepted on input)
//   INT8..INT32, UINT8..UINT32, FP32, FP64   numbers
//   INT64, UINT64         numbers; decimal strings carry values beyond 2^53 exactly (both directions)
//   FP16                  the raw IEEE half bit pattern as an integer 0..65535 (as libs/tensors stores it)
//   BYTES                 strings, sent and read back as UTF-8

/** A tensor the user wrote is not what its datatype and shape promise, or a reply cannot be decoded. */
export class TensorJsonError extends CliError {
  override name = 'TensorJsonError';
}

export type JsonElement = number | string | boolean;

export interface JsonTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly JsonElement[];
}

export interface RawTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly raw: Buffer;
}

const INT_RANGES: Partial<Record<Datatype, readonly [bigint, bigint]>> = {
  UINT8: [0n, 0xffn],
  UINT16: [0n, 0xffffn],
  UINT32: [0n, 0xffff_ffffn],
  UINT64: [0n, 0xffff_ffff_ffff_ffffn],
  INT8: [-0x80n, 0x7fn],
  INT16: [-0x8000n, 0x7fffn],
  INT32: [-0x8000_0000n, 0x7fff_ffffn],
  INT64: [-0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn],
  FP16: [0n, 0xffffn],
};

/** The largest finite float32. */
const FLT_MAX = 3.4028234663852886e38;

/** libs/tensors' refusals are not CliErrors; re-thrown as one, the top level prints them without a stack. */
function asCliError<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof TensorCodecError) throw new TensorJsonError(err.message, { cause: err });
    throw err;
  }
}

const label = (tensor: string) => `tensor "${tensor}"`;

function checkDatatype(tensor: string, datatype: string): Datatype {
  if (!isDatatype(datatype)) {
    throw new TensorJsonError(
      `${label(tensor)}: unknown datatype ${JSON.stringify(datatype)}; expected one of ${DATATYPES.join(', ')}`,
    );
  }
  return datatype;
}

/** Shapes come as numbers from the input file and as decimal strings (int64) from a reply. */
function checkShape(tensor: string, shape: readonly unknown[]): { shape: number[]; count: number } {
  const dims = shape.map((d, i) => {
    const n = typeof d === 'string' && /^\d+$/.test(d) ? Number(d) : d;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new TensorJsonError(
        `${label(tensor)}: shape[${i}] is ${JSON.stringify(d)}; dimensions are non-negative integers`,
      );
    }
    return n;
  });
  return { shape: dims, count: elementCount(dims, label(tensor)) };
}

/**
 * Flattens `data` (flat, or nested exactly as `shape`) in row-major order, checking the element
 * count and, for nested data, every dimension.
 */
function flattenData(tensor: string, shape: readonly number[], expected: number, data: unknown): unknown[] {
  if (!Array.isArray(data))
    throw new TensorJsonError(`${label(tensor)}: data must be an array, got ${typeof data}`);
  if (!data.some(Array.isArray)) {
    if (data.length !== expected) {
      throw new TensorJsonError(
        `${label(tensor)}: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${expected}`,
      );
    }
    return data;
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node))
        throw new TensorJsonError(
          `${label(tensor)}: data${at} is nested deeper than shape [${shape.join(', ')}]`,
        );
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `${node.length} entries` : JSON.stringify(node);
      throw new TensorJsonError(
        `${label(tensor)}: data${at} should be a list of ${shape[depth]} (shape [${shape.join(', ')}]), got ${got}`,
      );
    }
    node.forEach((child, i) => walk(child, depth + 1, `${at}[${i}]`));
  };
  walk(data, 0, '');
  return flat;
}

function elementError(tensor: string, index: number, value: unknown, want: string): TensorJsonError {
  return new TensorJsonError(
    `${label(tensor)}: element ${index} is ${JSON.stringify(value) ?? String(value)}; ${want}`,
  );
}

function toInteger(tensor: string, dt: Datatype, value: unknown, index: number): bigint {
  const [min, max] = INT_RANGES[dt] as readonly [bigint, bigint];
  const note =
    dt === 'FP16'
      ? ' (the raw IEEE half bit pattern)'
      : dt === 'INT64' || dt === 'UINT64'
        ? ' (a number or a decimal string)'
        : '';
  const want = `${dt} needs an integer in [${min}, ${max}]${note}`;
  let n: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if ((dt === 'INT64' || dt === 'UINT64') && typeof value === 'string' && /^-?\d+$/.test(value))
    n = BigInt(value);
  else throw elementError(tensor, index, value, want);
  if (n < min || n > max) throw elementError(tensor, index, value, want);
  return n;
}

// Every constructor typedArrayFor returns accepts a plain array of its element type.
type NumberArrayConstructor = new (values: number[]) => TensorData;

/** Checks every JSON element against the datatype and builds the values libs/tensors encodes. */
function toTensorData(tensor: string, dt: Datatype, values: readonly unknown[]): TensorData | string[] {
  switch (dt) {
    case 'BYTES':
      return values.map((v, i) => {
        if (typeof v !== 'string') throw elementError(tensor, i, v, 'BYTES needs strings');
        return v;
      });
    case 'BOOL':
      return Uint8Array.from(values, (v, i) => {
        if (v === true || v === 1) return 1;
        if (v === false || v === 0) return 0;
        throw elementError(tensor, i, v, 'BOOL needs true or false');
      });
    case 'INT64':
    case 'UINT64':
      return new (typedArrayFor(dt))(values.map((v, i) => toInteger(tensor, dt, v, i)));
    case 'FP32':
    case 'FP64':
      return new (typedArrayFor(dt))(
        values.map((v, i) => {
          if (typeof v !== 'number') throw elementError(tensor, i, v, `${dt} needs numbers`);
          // Float32Array would store an out-of-range value as Infinity without a word.
          if (dt === 'FP32' && Number.isFinite(v) && !Number.isFinite(Math.fround(v)))
            throw elementError(tensor, i, v, `FP32 needs numbers within ±${FLT_MAX}`);
          return v;
        }),
      );
    default: {
      const Ctor: NumberArrayConstructor = typedArrayFor(dt);
      return new Ctor(values.map((v, i) => Number(toInteger(tensor, dt, v, i))));
    }
  }
}

/** 64-bit integers print as numbers while exact, else as decimal strings. */
function fromBigInt(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n.toString();
}

/** Decoded tensor data as JSON elements, in the forms listed at the top of this file. */
function toJsonElements(dt: Datatype, data: TensorData): JsonElement[] {
  if (Array.isArray(data))
    return data.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));
  if (dt === 'BOOL') return Array.from(data as Uint8Array, (b) => b !== 0);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, fromBigInt);
  return Array.from(data as ArrayLike<number>);
}

/** Validates a tensor written in JSON and encodes it as OIP raw contents. */
export function encodeTensor(tensor: {
  name: string;
  datatype: string;
  shape: readonly unknown[];
  data: unknown;
}): RawTensor {
  return asCliError(() => {
    const datatype = checkDatatype(tensor.name, tensor.datatype);
    const { shape, count } = checkShape(tensor.name, tensor.shape);
    const values = flattenData(tensor.name, shape, count, tensor.data);
    return {
      name: tensor.name,
      datatype,
      shape,
      raw: encodeRaw(toTensorData(tensor.name, datatype, values)),
    };
  });
}

/** Decodes OIP raw contents of the given datatype and shape into JSON elements. */
export function decodeTensor(
  tensor: { name: string; datatype: string; shape: readonly unknown[] },
  raw: Uint8Array,
): JsonTensor {
  return asCliError(() => {
    const datatype = checkDatatype(tensor.name, tensor.datatype);
    const { shape, count } = checkShape(tensor.name, tensor.shape);
    return {
      name: tensor.name,
      datatype,
      shape,
      data: toJsonElements(datatype, decodeRaw(datatype, raw, count, label(tensor.name))),
    };
  });
}

/**
 * Decodes an output sent in the typed `contents` fields instead of raw bytes (servers other than
 * aimass may answer that way). OIP has no contents field for FP16.
 */
export function decodeContents(
  tensor: { name: string; datatype: string; shape: readonly unknown[] },
  contents: oip.InferTensorContents__Output,
): JsonTensor {
  return asCliError(() => {
    const datatype = checkDatatype(tensor.name, tensor.datatype);
    const { shape, count } = checkShape(tensor.name, tensor.shape);
    const data = decodeTypedContents(
      datatype,
      contents as unknown as Record<string, unknown>,
      count,
      label(tensor.name),
    );
    return { name: tensor.name, datatype, shape, data: toJsonElements(datatype, data) };
  });
}
