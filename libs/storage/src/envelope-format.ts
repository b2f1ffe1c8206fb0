/**
 * The sealed-object format (docs/encryption.md): a header, then frames of AES-256-GCM ciphertext,
 * each followed by its 16-byte tag. Every frame but the last holds exactly `frameBytes` of
 * plaintext, so a plaintext offset maps to a frame without reading the ones before it (resumable
 * downloads). The header is the additional authenticated data of every frame, and each frame's
 * nonce carries its index and whether it is the last: a changed header, a swapped, dropped or
 * appended frame, or a cut at a frame boundary all fail authentication.
 */

/** First bytes of every sealed object; 0x89 keeps it from reading as text (as PNG's does). */
export const ENVELOPE_MAGIC = Buffer.from([0x89, 0x41, 0x49, 0x4d, 0x45, 0x4e, 0x43, 0x0a]); // \x89AIMENC\n
export const ENVELOPE_VERSION = 1;
export const TAG_BYTES = 16;
export const NONCE_PREFIX_BYTES = 7;
/** Plaintext bytes per frame: 1 MiB keeps the per-frame cost small and a reader's buffer bounded. */
export const DEFAULT_FRAME_BYTES = 1024 * 1024;
/** A header never exceeds this, so one ranged read of this many bytes always holds it. */
export const MAX_HEADER_BYTES = 4096;
const FIXED_BYTES = ENVELOPE_MAGIC.length + 1 + 1 + NONCE_PREFIX_BYTES + 1 + 2;

export interface EnvelopeHeader {
  /** Plaintext bytes per frame (a power of two). */
  readonly frameBytes: number;
  readonly noncePrefix: Buffer;
  /** Which key wrapped the data key (KeyWrapper.keyId). */
  readonly keyId: string;
  readonly wrappedKey: Buffer;
  /** The header as stored: the AAD of every frame. */
  readonly bytes: Buffer;
}

/** Why a header could not be read; the caller words it for the object. */
export class EnvelopeFormatError extends Error {
  override readonly name = 'EnvelopeFormatError';
}

export function isSealed(head: Uint8Array): boolean {
  return (
    head.length >= ENVELOPE_MAGIC.length && ENVELOPE_MAGIC.equals(head.subarray(0, ENVELOPE_MAGIC.length))
  );
}

/**
 * Layout: magic(8) version(1) log2(frameBytes)(1) noncePrefix(7) keyIdLength(1) wrappedKeyLength(2)
 * keyId wrappedKey; integers big-endian.
 */
export function encodeHeader(h: Omit<EnvelopeHeader, 'bytes'>): EnvelopeHeader {
  const keyId = Buffer.from(h.keyId, 'utf8');
  const log2 = Math.log2(h.frameBytes);
  if (!Number.isInteger(log2) || log2 < 10 || log2 > 30)
    throw new RangeError('frameBytes must be 2^10..2^30');
  if (keyId.length > 255) throw new RangeError('a key id is at most 255 bytes');
  if (h.noncePrefix.length !== NONCE_PREFIX_BYTES) throw new RangeError('the nonce prefix is 7 bytes');
  const bytes = Buffer.alloc(FIXED_BYTES + keyId.length + h.wrappedKey.length);
  if (bytes.length > MAX_HEADER_BYTES) throw new RangeError(`a header is at most ${MAX_HEADER_BYTES} bytes`);
  let at = ENVELOPE_MAGIC.copy(bytes, 0);
  at = bytes.writeUInt8(ENVELOPE_VERSION, at);
  at = bytes.writeUInt8(log2, at);
  at += h.noncePrefix.copy(bytes, at);
  at = bytes.writeUInt8(keyId.length, at);
  at = bytes.writeUInt16BE(h.wrappedKey.length, at);
  at += keyId.copy(bytes, at);
  h.wrappedKey.copy(bytes, at);
  return { ...h, bytes };
}

/**
 * Reads the header at the start of `head`; undefined when `head` is too short to hold all of it
 * (the caller reads more). Throws EnvelopeFormatError for a header this version cannot read.
 */
export function decodeHeader(head: Buffer): EnvelopeHeader | undefined {
  if (head.length < FIXED_BYTES) return undefined;
  if (!isSealed(head)) throw new EnvelopeFormatError('it does not start with the sealed-object marker');
  let at = ENVELOPE_MAGIC.length;
  const version = head.readUInt8(at++);
  if (version !== ENVELOPE_VERSION)
    throw new EnvelopeFormatError(`its format version is ${version}; this build reads ${ENVELOPE_VERSION}`);
  const log2 = head.readUInt8(at++);
  if (log2 < 10 || log2 > 30) throw new EnvelopeFormatError(`its frame size 2^${log2} is out of range`);
  const noncePrefix = Buffer.from(head.subarray(at, at + NONCE_PREFIX_BYTES));
  at += NONCE_PREFIX_BYTES;
  const keyIdLength = head.readUInt8(at++);
  const wrappedLength = head.readUInt16BE(at);
  at += 2;
  const length = at + keyIdLength + wrappedLength;
  if (length > MAX_HEADER_BYTES) throw new EnvelopeFormatError(`its header claims ${length} bytes`);
  if (head.length < length) return undefined;
  return {
    frameBytes: 2 ** log2,
    noncePrefix,
    keyId: head.toString('utf8', at, at + keyIdLength),
    wrappedKey: Buffer.from(head.subarray(at + keyIdLength, length)),
    bytes: Buffer.from(head.subarray(0, length)),
  };
}

/** The 12-byte GCM nonce of frame `index`: prefix(7) index(4, big-endian) last(1). */
export function frameNonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Where frame `index` starts in the stored object. */
export function frameOffset(header: EnvelopeHeader, index: number): number {
  return header.bytes.length + index * (header.frameBytes + TAG_BYTES);
}
