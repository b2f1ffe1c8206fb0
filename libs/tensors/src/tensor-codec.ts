import os from 'node:os';
import { datatypeByteSize, typedArrayFor, type Datatype, type FixedSizeDatatype } from './datatypes.js';

// Typed arrays are host-endian; OIP raw contents are little-endian, and this codec views one as the other.
if (os.endianness() !== 'LE') throw new Error('@aimass/tensors encoding needs a little-endian host');

/** Thrown when tensor bytes or values do not fit a datatype and shape; the message names the tensor. */
export class TensorCodecError extends Error {
  override readonly name = 'TensorCodecError';
}

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** Tensor data: a typed array for fixed-size datatypes, one byte string per element for BYTES. */
export type TensorData = TypedArray | Uint8Array[];

/** The OIP v2 typed-contents field that carries each datatype. */
export const CONTENTS_FIELD: Record<Datatype, string | undefined> = {
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** Number of elements of a shape, refusing negative, fractional and absurd dimensions. */
export function elementCount(shape: readonly number[], what = 'tensor'): number {
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0)
      throw new TensorCodecError(`${what}: dimension ${dim} is not a non-negative integer`);
    count *= dim;
    if (!Number.isSafeInteger(count))
      throw new TensorCodecError(`${what}: shape [${shape.join(', ')}] has too many elements`);
  }
  return count;
}

/**
 * Decodes little-endian raw bytes (OIP `raw_input_contents`) into tensor data. Bytes are copied
 * when they are not aligned for the typed array, so the result never aliases a misaligned buffer.
 * BYTES elements are each a 4-byte little-endian length followed by that many bytes.
 */
export function decodeRaw(dt: Datatype, bytes: Uint8Array, count: number, what = 'tensor'): TensorData {
  if (dt === 'BYTES') return decodeBytesElements(bytes, count, what);
  const size = datatypeByteSize(dt)!;
  if (bytes.byteLength !== count * size) {
    throw new TensorCodecError(
      `${what}: raw content has ${bytes.byteLength} bytes but ${dt} with ${count} elements needs ${count * size}`,
    );
  }
  const Ctor = typedArrayFor(dt as FixedSizeDatatype) as unknown as {
    new (b: ArrayBufferLike, o: number, l: number): TypedArray;
    new (l: number): TypedArray;
  };
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, count);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Ctor(copy.buffer, 0, count);
}

/** Encodes tensor data as OIP raw bytes (little-endian; BYTES length-prefixed). */
export function encodeRaw(data: TensorData | readonly string[]): Buffer {
  if (Array.isArray(data)) return encodeBytesElements(data as readonly (Uint8Array | string)[]);
  const typed = data as TypedArray;
  return Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** Decodes OIP typed contents (`fp32_contents`, `int64_contents`, ...) into tensor data. */
export function decodeTypedContents(
  dt: Datatype,
  contents: Record<string, unknown>,
  count: number,
  what = 'tensor',
): TensorData {
  const field = CONTENTS_FIELD[dt];
  if (!field)
    throw new TensorCodecError(
      `${what}: ${dt} has no typed contents field in OIP v2; it travels only as raw contents (raw_input_contents / raw_output_contents)`,
    );
  for (const [other, values] of Object.entries(contents)) {
    if (other !== field && Array.isArray(values) && values.length > 0) {
      throw new TensorCodecError(`${what}: datatype ${dt} is carried in ${field}, but ${other} was set`);
    }
  }
  const values = (contents[field] ?? []) as unknown[];
  if (values.length !== count) {
    throw new TensorCodecError(`${what}: ${field} has ${values.length} values but the shape needs ${count}`);
  }
  if (dt === 'BYTES')
    return values.map((v) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v as Uint8Array)));
  const Ctor = typedArrayFor(dt as FixedSizeDatatype);
  // A typed array wraps or truncates what does not fit (300 in an Int8Array reads back as 44), so every
  // integer is read back and compared.
  const misfit = (i: number, v: unknown) =>
    new TensorCodecError(`${what}: value ${i} (${String(v)}) is not an integer in the ${dt} range`);
  if (dt === 'INT64' || dt === 'UINT64') {
    const out = new (Ctor as BigInt64ArrayConstructor)(count);
    for (let i = 0; i < count; i++) {
      const v = values[i];
      let n: bigint;
      try {
        n = BigInt(v as string | number);
      } catch (err) {
        throw new TensorCodecError(misfit(i, v).message, { cause: err });
      }
      out[i] = n;
      if (out[i] !== n) throw misfit(i, v);
    }
    return out;
  }
  if (dt === 'BOOL') return Uint8Array.from(values, (v) => (v ? 1 : 0));
  const integer = dt !== 'FP32' && dt !== 'FP64';
  const out = new (Ctor as Float64ArrayConstructor)(count);
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new TensorCodecError(`${what}: value ${i} is not a number`);
    out[i] = v;
    if (integer && out[i] !== v) throw misfit(i, v);
  }
  return out as TypedArray;
}

function decodeBytesElements(bytes: Uint8Array, count: number, what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (offset + 4 > bytes.byteLength)
      throw new TensorCodecError(`${what}: BYTES element ${out.length} has a truncated length prefix`);
    const length = view.getUint32(offset, true);
    offset += 4;
    if (offset + length > bytes.byteLength)
      throw new TensorCodecError(
        `${what}: BYTES element ${out.length} claims ${length} bytes but only ${bytes.byteLength - offset} remain`,
      );
    out.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (out.length !== count)
    throw new TensorCodecError(
      `${what}: raw content holds ${out.length} BYTES elements but the shape needs ${count}`,
    );
  return out;
}

function encodeBytesElements(elements: readonly (Uint8Array | string)[]): Buffer {
  const parts = elements.map((e) =>
    typeof e === 'string' ? Buffer.from(e) : Buffer.from(e.buffer, e.byteOffset, e.byteLength),
  );
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 4 + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.writeUInt32LE(part.length, offset);
    part.copy(out, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}
