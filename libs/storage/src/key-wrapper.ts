import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';

/**
 * Wraps and unwraps the data keys of sealed objects. A KMS plugs in here: `wrap` would call its
 * Encrypt, `unwrap` its Decrypt, and `keyId` would name the KMS key. A rejected unwrap must throw
 * KeyUnwrapError so the reader can say the header was altered rather than that the store failed.
 */
export interface KeyWrapper {
  /** Names the key that wraps (stored in each header; a reader compares it with its own first). */
  readonly keyId: string;
  wrap(dataKey: Buffer): Promise<Buffer>;
  unwrap(wrapped: Buffer): Promise<Buffer>;
}

/** The wrapped key did not authenticate under the wrapping key. */
export class KeyUnwrapError extends Error {
  override readonly name = 'KeyUnwrapError';
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A local master key (AIMASS_MASTER_KEY): each data key is sealed with AES-256-GCM under it, with a
 * fresh nonce, and the key id as additional data. Stored form: nonce(12) ciphertext(32) tag(16).
 * The key id is a fingerprint of the key, so a service given another key says so before it tries.
 */
export class MasterKeyWrapper implements KeyWrapper {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32)
      throw new RangeError(`a master key is 32 bytes (AES-256); this one is ${key.length}`);
    this.keyId = `local:${createHash('sha256').update('aimass master key id\0').update(key).digest('hex').slice(0, 16)}`;
  }

  wrap(dataKey: Buffer): Promise<Buffer> {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce).setAAD(Buffer.from(this.keyId));
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Promise.resolve(Buffer.concat([nonce, sealed, cipher.getAuthTag()]));
  }

  unwrap(wrapped: Buffer): Promise<Buffer> {
    if (wrapped.length !== NONCE_BYTES + 32 + TAG_BYTES)
      return Promise.reject(new KeyUnwrapError(`the wrapped data key is ${wrapped.length} bytes, not 60`));
    const decipher = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, NONCE_BYTES))
      .setAAD(Buffer.from(this.keyId))
      .setAuthTag(wrapped.subarray(NONCE_BYTES + 32));
    try {
      return Promise.resolve(
        Buffer.concat([decipher.update(wrapped.subarray(NONCE_BYTES, NONCE_BYTES + 32)), decipher.final()]),
      );
    } catch (cause) {
      return Promise.reject(new KeyUnwrapError('the wrapped data key does not authenticate', { cause }));
    }
  }
}

/**
 * The master key from AIMASS_MASTER_KEY (base64 of 32 bytes) or AIMASS_MASTER_KEY_FILE (a file
 * holding that base64 text, or the 32 raw bytes); undefined when neither is set.
 */
export function masterKeyFromSettings(settings: { key: string; file: string }): Buffer | undefined {
  if (settings.key) return decodeMasterKey(settings.key, 'AIMASS_MASTER_KEY');
  if (!settings.file) return undefined;
  let raw: Buffer;
  try {
    raw = fs.readFileSync(settings.file);
  } catch (err) {
    throw new RangeError(`AIMASS_MASTER_KEY_FILE ${settings.file} cannot be read: ${(err as Error).message}`);
  }
  if (raw.length === 32) return raw;
  return decodeMasterKey(raw.toString('utf8').trim(), `AIMASS_MASTER_KEY_FILE ${settings.file}`);
}

function decodeMasterKey(text: string, where: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== 32)
    throw new RangeError(
      `${where} must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`); it decodes to ${key.length} bytes`,
    );
  return key;
}
