import os from 'node:os';
import { DATATYPES, type Datatype, type FixedSizeDatatype, datatypeByteSize, isDatatype, typedArrayFor } from '@aimass/ml';
import type { oip } from '@aimass/contracts';
import { CliError } from './errors.js';

// Tensors as people write them in JSON <-> OIP v2 raw contents. Raw contents are the little-endian
// bytes of the datatype's elements in row-major order; a BYTES element is a 4-byte little-endian
// length followed by that many bytes (the Triton / KServe convention).
//
// JSON element forms, per datatype:
//   BOOL                  true / false (0 and 1 are accepted on input)
//   INT8..INT32, UINT8..UINT32, FP32, FP64   numbers
//   INT64, UINT64         numbers; decimal strings carry values beyond 2^53 exactly (both directions)
//   FP16                  the raw IEEE half bit pattern as an integer 0..65535 (as libs/ml stores it)
//   BYTES                 strings, sent and read back as UTF-8

/** A tensor the user wrote is not what its datatype and shape promise, or a reply cannot be decoded. */
export class TensorCodecError extends CliError {
  override name = 'TensorCodecError';
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

// Typed arrays are host-endian; OIP raw contents are little-endian.
if (os.endianness() !== 'LE') throw new Error('aimass CLI tensor encoding needs a little-endian host');

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

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function checkDatatype(tensor: string, datatype: string): Datatype {
  if (!isDatatype(datatype)) {
    throw new TensorCodecError(`tensor "${tensor}": unknown datatype ${JSON.stringify(datatype)}; expected one of ${DATATYPES.join(', ')}`);
  }
  return datatype;
}

function checkShape(tensor: string, shape: readonly unknown[]): number[] {
  return shape.map((d, i) => {
    const n = typeof d === 'string' && /^\d+$/.test(d) ? Number(d) : d;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new TensorCodecError(`tensor "${tensor}": shape[${i}] is ${JSON.stringify(d)}; dimensions are non-negative integers`);
    }
    return n;
  });
}

/**
 * Flattens `data` (flat, or nested exactly as `shape`) in row-major order, checking the element
 * count and, for nested data, every dimension.
 */
export function flattenData(tensor: string, shape: readonly number[], data: unknown): unknown[] {
  if (!Array.isArray(data)) throw new TensorCodecError(`tensor "${tensor}": data must be an array, got ${typeof data}`);
  const expected = elementCount(shape);
  if (!data.some(Array.isArray)) {
    if (data.length !== expected) {
      throw new TensorCodecError(`tensor "${tensor}": data has ${data.length} elements but shape [${shape.join(', ')}] needs ${expected}`);
    }
    return data;
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(node)) throw new TensorCodecError(`tensor "${tensor}": data${at} is nested deeper than shape [${shape.join(', ')}]`);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `${node.length} entries` : JSON.stringify(node);
      throw new TensorCodecError(`tensor "${tensor}": data${at} should be a list of ${shape[depth]} (shape [${shape.join(', ')}]), got ${got}`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${at}[${i}]`));
  };
  walk(data, 0, '');
  return flat;
}

function elementError(tensor: string, index: number, value: unknown, want: string): TensorCodecError {
  return new TensorCodecError(`tensor "${tensor}": element ${index} is ${JSON.stringify(value) ?? String(value)}; ${want}`);
}

function toInteger(tensor: string, dt: Datatype, value: unknown, index: number): bigint {
  const [min, max] = INT_RANGES[dt] as readonly [bigint, bigint];
  const note = dt === 'FP16' ? ' (the raw IEEE half bit pattern)' : dt === 'INT64' || dt === 'UINT64' ? ' (a number or a decimal string)' : '';
  const want = `${dt} needs an integer in [${min}, ${max}]${note}`;
  let n: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if ((dt === 'INT64' || dt === 'UINT64') && typeof value === 'string' && /^-?\d+$/.test(value)) n = BigInt(value);
  else throw elementError(tensor, index, value, want);
  if (n < min || n > max) throw elementError(tensor, index, value, want);
  return n;
}

function encodeBytesElements(tensor: string, values: readonly unknown[]): Buffer {
  const parts: Buffer[] = [];
  values.forEach((value, i) => {
    if (typeof value !== 'string') throw elementError(tensor, i, value, 'BYTES needs strings');
    const body = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(body.length);
    parts.push(length, body);
  });
  return Buffer.concat(parts);
}

// Every constructor typedArrayFor returns accepts a plain array of its element type.
type BigIntArrayConstructor = new (values: bigint[]) => ArrayBufferView;
type NumberArrayConstructor = new (values: number[]) => ArrayBufferView;

function encodeFixed(tensor: string, dt: FixedSizeDatatype, values: readonly unknown[]): Buffer {
  let array: ArrayBufferView;
  if (dt === 'BOOL') {
    array = Uint8Array.from(values, (v, i) => {
      if (v === true || v === 1) return 1;
      if (v === false || v === 0) return 0;
      throw elementError(tensor, i, v, 'BOOL needs true or false');
    });
  } else if (dt === 'INT64' || dt === 'UINT64') {
    const Ctor: BigIntArrayConstructor = typedArrayFor(dt);
    array = new Ctor(values.map((v, i) => toInteger(tensor, dt, v, i)));
  } else if (dt === 'FP32' || dt === 'FP64') {
    const Ctor: NumberArrayConstructor = typedArrayFor(dt);
    array = new Ctor(
      values.map((v, i) => {
        if (typeof v !== 'number') throw elementError(tensor, i, v, `${dt} needs numbers`);
        // Float32Array would store an out-of-range value as Infinity without a word.
        if (dt === 'FP32' && Number.isFinite(v) && !Number.isFinite(Math.fround(v))) throw elementError(tensor, i, v, `FP32 needs numbers within ±${FLT_MAX}`);
        return v;
      }),
    );
  } else {
    const Ctor: NumberArrayConstructor = typedArrayFor(dt);
    array = new Ctor(values.map((v, i) => Number(toInteger(tensor, dt, v, i))));
  }
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** Validates a tensor written in JSON and encodes it as OIP raw contents. */
export function encodeTensor(tensor: { name: string; datatype: string; shape: readonly unknown[]; data: unknown }): RawTensor {
  const datatype = checkDatatype(tensor.name, tensor.datatype);
  const shape = checkShape(tensor.name, tensor.shape);
  const values = flattenData(tensor.name, shape, tensor.data);
  const raw = datatype === 'BYTES' ? encodeBytesElements(tensor.name, values) : encodeFixed(tensor.name, datatype, values);
  return { name: tensor.name, datatype, shape, raw };
}

/** 64-bit integers print as numbers while exact, else as decimal strings. */
function fromBigInt(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function decodeBytesElements(tensor: string, raw: Uint8Array, count: number): string[] {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: string[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + 4 > buf.length) throw new TensorCodecError(`tensor "${tensor}": BYTES contents end inside a length prefix at byte ${at}`);
    const length = buf.readUInt32LE(at);
    if (at + 4 + length > buf.length) throw new TensorCodecError(`tensor "${tensor}": BYTES element ${out.length} claims ${length} bytes but only ${buf.length - at - 4} remain`);
    out.push(buf.toString('utf8', at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (out.length !== count) throw new TensorCodecError(`tensor "${tensor}": BYTES contents hold ${out.length} elements but the shape needs ${count}`);
  return out;
}

/** Decodes OIP raw contents of the given datatype and shape into JSON elements. */
export function decodeTensor(tensor: { name: string; datatype: string; shape: readonly unknown[] }, raw: Uint8Array): JsonTensor {
  const datatype = checkDatatype(tensor.name, tensor.datatype);
  const shape = checkShape(tensor.name, tensor.shape);
  const count = elementCount(shape);
  if (datatype === 'BYTES') return { name: tensor.name, datatype, shape, data: decodeBytesElements(tensor.name, raw, count) };
  const width = datatypeByteSize(datatype) as number;
  if (raw.byteLength !== count * width) {
    throw new TensorCodecError(
      `tensor "${tensor.name}": ${raw.byteLength} bytes of ${datatype} contents, but shape [${shape.join(', ')}] needs ${count * width}`,
    );
  }
  // A copy is aligned for the typed array view; gRPC hands out Buffers at arbitrary offsets.
  const aligned = new Uint8Array(raw).buffer;
  let data: JsonElement[];
  if (datatype === 'BOOL') data = Array.from(new Uint8Array(aligned), (b) => b !== 0);
  else if (datatype === 'INT64' || datatype === 'UINT64') data = Array.from(new (typedArrayFor(datatype))(aligned), fromBigInt);
  else data = Array.from(new (typedArrayFor(datatype))(aligned));
  return { name: tensor.name, datatype, shape, data };
}

/**
 * Decodes an output sent in the typed `contents` fields instead of raw bytes (servers other than
 * aimass may answer that way). OIP has no contents field for FP16.
 */
export function decodeContents(
  tensor: { name: string; datatype: string; shape: readonly unknown[] },
  contents: oip.InferTensorContents__Output,
): JsonTensor {
  const datatype = checkDatatype(tensor.name, tensor.datatype);
  const shape = checkShape(tensor.name, tensor.shape);
  const pick = (): readonly JsonElement[] => {
    switch (datatype) {
      case 'BOOL': return contents.bool_contents;
      case 'INT8': case 'INT16': case 'INT32': return contents.int_contents;
      case 'UINT8': case 'UINT16': case 'UINT32': return contents.uint_contents;
      case 'INT64': return contents.int64_contents.map((s) => fromBigInt(BigInt(s)));
      case 'UINT64': return contents.uint64_contents.map((s) => fromBigInt(BigInt(s)));
      case 'FP32': return contents.fp32_contents;
      case 'FP64': return contents.fp64_contents;
      case 'BYTES': return contents.bytes_contents.map((b) => b.toString('utf8'));
      case 'FP16': throw new TensorCodecError(`tensor "${tensor.name}": FP16 has no typed contents field in OIP v2; it must come as raw contents`);
    }
  };
  const data = pick();
  const count = elementCount(shape);
  if (data.length !== count) {
    throw new TensorCodecError(`tensor "${tensor.name}": ${data.length} ${datatype} contents elements, but shape [${shape.join(', ')}] needs ${count}`);
  }
  return { name: tensor.name, datatype, shape, data: [...data] };
}
