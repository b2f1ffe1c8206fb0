import { UnavailableError } from '@aimass/errors';
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { ObjectIntegrityError } from './envelope-cipher.js';
import { frameNonce, frameOffset, TAG_BYTES, type EnvelopeHeader } from './envelope-format.js';

/**
 * The plaintext of a sealed object's frames, read from `source`: the stored bytes from frame
 * `firstFrame` to the end of an object of `storedBytes` bytes, less the first `skip` bytes of
 * plaintext. Each frame is authenticated before a byte of it is yielded; memory stays at one frame.
 *
 * The stored size says which frame is the last (its nonce is marked), so each piece from the socket
 * is decrypted as it arrives, with no copy into a frame buffer first. A cut at a frame boundary
 * makes the new last frame fail authentication, as does a cut or an addition anywhere else.
 */
export async function* openFrames(
  objectKey: string,
  header: EnvelopeHeader,
  dataKey: Buffer,
  source: AsyncIterable<Uint8Array>,
  storedBytes: number,
  firstFrame = 0,
  skip = 0,
): AsyncGenerator<Buffer> {
  const frameBytes = header.frameBytes + TAG_BYTES;
  const frames = Math.ceil((storedBytes - header.bytes.length) / frameBytes);
  let index = firstFrame;
  /** The frame being read: its decipher, ciphertext bytes still to come, and its plaintext so far. */
  let frame: { decipher: DecipherGCM; last: boolean; ciphertext: number; tag: Buffer; tagBytes: number };
  let plain: Buffer[] = [];
  const where = () => {
    const at = frameOffset(header, index);
    return `frame ${index} (stored bytes ${at}..${Math.min(storedBytes, at + frameBytes)})`;
  };
  const begin = () => {
    const last = index >= frames - 1;
    const stored = last ? storedBytes - frameOffset(header, index) : frameBytes;
    if (stored < TAG_BYTES)
      throw new ObjectIntegrityError(
        `object ${objectKey} ends inside ${where()}: it was cut short after it was sealed; it is refused`,
        'truncated',
        objectKey,
      );
    const decipher = createDecipheriv('aes-256-gcm', dataKey, frameNonce(header.noncePrefix, index, last));
    decipher.setAAD(header.bytes);
    frame = {
      decipher,
      last,
      ciphertext: stored - TAG_BYTES,
      tag: Buffer.allocUnsafe(TAG_BYTES),
      tagBytes: 0,
    };
  };
  /** Authenticates the frame just read and hands out its plaintext (less what is skipped). */
  const end = (): Buffer[] => {
    frame.decipher.setAuthTag(frame.tag);
    try {
      frame.decipher.final();
    } catch (cause) {
      throw new ObjectIntegrityError(
        `object ${objectKey} fails authentication in ${where()}${frame.last ? ', its last' : ''}: it was changed or cut short after it was sealed; it is refused`,
        'tampered',
        objectKey,
        { cause },
      );
    }
    const out: Buffer[] = [];
    for (const p of plain) {
      if (skip >= p.length) skip -= p.length;
      else {
        out.push(skip ? p.subarray(skip) : p);
        skip = 0;
      }
    }
    plain = [];
    index++;
    return out;
  };

  if (!Number.isSafeInteger(storedBytes))
    throw new UnavailableError(`object storage did not say how large ${objectKey} is; cannot decrypt it`);
  if (frames < 1 || index >= frames) throw truncated(objectKey, storedBytes);
  begin();
  for await (const piece of source) {
    for (let at = 0; at < piece.length;) {
      if (index >= frames)
        throw new ObjectIntegrityError(
          `object ${objectKey} holds more bytes than its ${storedBytes}; it is refused`,
          'tampered',
          objectKey,
        );
      if (frame!.ciphertext > 0) {
        const n = Math.min(frame!.ciphertext, piece.length - at);
        plain.push(frame!.decipher.update(piece.subarray(at, at + n)));
        frame!.ciphertext -= n;
        at += n;
        continue;
      }
      const n = Math.min(TAG_BYTES - frame!.tagBytes, piece.length - at);
      frame!.tag.set(piece.subarray(at, at + n), frame!.tagBytes);
      frame!.tagBytes += n;
      at += n;
      if (frame!.tagBytes === TAG_BYTES) {
        yield* end();
        if (index < frames) begin();
      }
    }
  }
  if (index < frames) throw truncated(objectKey, storedBytes);
}

function truncated(objectKey: string, storedBytes: number): ObjectIntegrityError {
  return new ObjectIntegrityError(
    `object ${objectKey} ended before its ${storedBytes} stored bytes were read; it is refused`,
    'truncated',
    objectKey,
  );
}
