import { FailedPreconditionError } from '@aimass/errors';
import { createCipheriv, randomBytes } from 'node:crypto';
import {
  DEFAULT_FRAME_BYTES,
  encodeHeader,
  frameNonce,
  NONCE_PREFIX_BYTES,
  type EnvelopeHeader,
} from './envelope-format.js';
import { KeyUnwrapError, MasterKeyWrapper, masterKeyFromSettings, type KeyWrapper } from './key-wrapper.js';

export type IntegrityFailure = 'tampered' | 'truncated' | 'wrong-key' | 'no-key' | 'not-sealed';

/**
 * A stored object that must not be served: its ciphertext or header was changed, it was cut short,
 * it was sealed under another master key, this process has no key, or it is plaintext where every
 * object is sealed. FAILED_PRECONDITION: retrying cannot help, someone has to act.
 */
export class ObjectIntegrityError extends FailedPreconditionError {
  constructor(
    message: string,
    readonly reason: IntegrityFailure,
    readonly objectKey: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EncryptionSettings {
  /** AIMASS_ENCRYPTION: seal every object written, and refuse unsealed ones on read. */
  readonly enabled: boolean;
  readonly masterKey: string;
  readonly masterKeyFile: string;
}

/**
 * Envelope encryption of stored objects (docs/encryption.md): each object is sealed with
 * AES-256-GCM under a fresh data key, which the KeyWrapper wraps into the object's header. Reads
 * decrypt sealed objects whatever `sealWrites` says (so turning encryption off keeps old objects
 * readable); with `sealWrites`, unsealed objects are refused, so every byte served was sealed by
 * a holder of the master key.
 */
export class EnvelopeCipher {
  constructor(
    private readonly wrapper: KeyWrapper | undefined,
    readonly sealWrites: boolean,
    private readonly frameBytes = DEFAULT_FRAME_BYTES,
  ) {
    if (sealWrites && !wrapper) throw new RangeError('sealing needs a key wrapper');
  }

  /** From the AIMASS_ENCRYPTION / AIMASS_MASTER_KEY(_FILE) settings; a bad key throws RangeError. */
  static fromSettings(settings: EncryptionSettings): EnvelopeCipher {
    const key = masterKeyFromSettings({ key: settings.masterKey, file: settings.masterKeyFile });
    if (settings.enabled && !key)
      throw new RangeError(
        'AIMASS_ENCRYPTION is on but neither AIMASS_MASTER_KEY nor AIMASS_MASTER_KEY_FILE is set',
      );
    return new EnvelopeCipher(key ? new MasterKeyWrapper(key) : undefined, settings.enabled);
  }

  /** A sealer for one new object, under a fresh data key. */
  async sealer(): Promise<EnvelopeSealer> {
    if (!this.wrapper) throw new RangeError('no master key to seal with');
    const dataKey = randomBytes(32);
    const header = encodeHeader({
      frameBytes: this.frameBytes,
      noncePrefix: randomBytes(NONCE_PREFIX_BYTES),
      keyId: this.wrapper.keyId,
      wrappedKey: await this.wrapper.wrap(dataKey),
    });
    return new EnvelopeSealer(header, dataKey);
  }

  async seal(plaintext: Uint8Array): Promise<Buffer> {
    const sealer = await this.sealer();
    return Buffer.concat([...sealer.push(plaintext), ...sealer.finish()]);
  }

  /** Throws when `objectKey` is plaintext but this process seals everything. */
  checkUnsealed(objectKey: string): void {
    if (this.sealWrites)
      throw new ObjectIntegrityError(
        `object ${objectKey} is not encrypted, but AIMASS_ENCRYPTION is on and every object the mesh stores is sealed: it was written before encryption was turned on, or replaced behind the mesh's back; it is refused`,
        'not-sealed',
        objectKey,
      );
  }

  /** The data key of a sealed object: checks that this process holds the key that wrapped it. */
  async dataKey(objectKey: string, header: EnvelopeHeader): Promise<Buffer> {
    if (!this.wrapper)
      throw new ObjectIntegrityError(
        `object ${objectKey} is encrypted at rest, but this process has no master key; set AIMASS_MASTER_KEY or AIMASS_MASTER_KEY_FILE (the registry's, trainer's and inference's must be the same)`,
        'no-key',
        objectKey,
      );
    if (header.keyId !== this.wrapper.keyId)
      throw new ObjectIntegrityError(
        `object ${objectKey} was sealed under master key ${header.keyId}, but this process holds ${this.wrapper.keyId}; give the registry, trainer and inference the same AIMASS_MASTER_KEY`,
        'wrong-key',
        objectKey,
      );
    try {
      return await this.wrapper.unwrap(header.wrappedKey);
    } catch (cause) {
      if (!(cause instanceof KeyUnwrapError)) throw cause;
      throw new ObjectIntegrityError(
        `the data key of object ${objectKey} does not unwrap under master key ${header.keyId}: its header was changed after it was sealed; it is refused`,
        'tampered',
        objectKey,
        { cause },
      );
    }
  }
}

/**
 * Turns plaintext into the frames of one sealed object, header first. It holds at most one frame
 * of plaintext: a full frame is only sealed once more bytes arrive, since the last frame is marked.
 */
export class EnvelopeSealer {
  private readonly pending: Buffer;
  private pendingBytes = 0;
  private index = 0;
  private headerSent = false;

  constructor(
    readonly header: EnvelopeHeader,
    private readonly dataKey: Buffer,
  ) {
    this.pending = Buffer.allocUnsafe(header.frameBytes);
  }

  /** Ciphertext to store, in order; `chunk` may be reused once this returns. */
  push(chunk: Uint8Array): Buffer[] {
    const out = this.start();
    for (let at = 0; at < chunk.length;) {
      if (this.pendingBytes === this.pending.length) out.push(...this.sealFrame(false));
      const n = Math.min(this.pending.length - this.pendingBytes, chunk.length - at);
      this.pending.set(chunk.subarray(at, at + n), this.pendingBytes);
      this.pendingBytes += n;
      at += n;
    }
    return out;
  }

  /** The last frame (empty for an empty object). */
  finish(): Buffer[] {
    const out = this.start();
    out.push(...this.sealFrame(true));
    return out;
  }

  private start(): Buffer[] {
    if (this.headerSent) return [];
    this.headerSent = true;
    return [this.header.bytes];
  }

  private sealFrame(last: boolean): Buffer[] {
    const cipher = createCipheriv(
      'aes-256-gcm',
      this.dataKey,
      frameNonce(this.header.noncePrefix, this.index++, last),
    ).setAAD(this.header.bytes);
    const sealed = cipher.update(this.pending.subarray(0, this.pendingBytes));
    cipher.final();
    this.pendingBytes = 0;
    return [sealed, cipher.getAuthTag()];
  }
}
