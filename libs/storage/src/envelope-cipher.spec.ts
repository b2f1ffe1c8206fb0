import { startS3Server, type S3Server } from '@aimass/testing';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeCipher, ObjectIntegrityError, type IntegrityFailure } from './envelope-cipher.js';
import { decodeHeader, ENVELOPE_MAGIC, TAG_BYTES } from './envelope-format.js';
import { MasterKeyWrapper, masterKeyFromSettings } from './key-wrapper.js';
import { ObjectStore } from './object-store.js';

// The sealed-object format through the store's real read and write paths, against s3rver. Frames
// are 1 KiB here (the smallest allowed) so that a few KiB of plaintext spans several of them.
const FRAME = 1024;
const masterKey = randomBytes(32);
const sealing = (key = masterKey, seal = true) => new EnvelopeCipher(new MasterKeyWrapper(key), seal, FRAME);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: S3Server;
let sealed: ObjectStore;
const stores: ObjectStore[] = [];

function storeWith(cipher?: EnvelopeCipher): ObjectStore {
  const store = new ObjectStore(
    {
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: 'us-east-1',
      bucket: 'envelope-spec',
    },
    cipher,
  );
  stores.push(store);
  return store;
}

/** The object's bytes as stored, bypassing the cipher. */
async function rawGet(key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await sealed.client.getObject(sealed.bucket, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function rawPut(key: string, bytes: Buffer): Promise<void> {
  await sealed.client.putObject(sealed.bucket, key, bytes, bytes.length);
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function refusal(read: Promise<unknown>): Promise<ObjectIntegrityError> {
  const err = await read.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the object was served').toBeInstanceOf(ObjectIntegrityError);
  return err as ObjectIntegrityError;
}

beforeAll(async () => {
  server = await startS3Server();
  sealed = storeWith(sealing());
  await sealed.ensureBucket();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
});

describe('sealed objects round trip', () => {
  it.each([0, 1, FRAME - 1, FRAME, FRAME + 1, 4 * FRAME, 3 * FRAME + 100])(
    '%i bytes: putBuffer and a chunked upload both store ciphertext that reads back as the plaintext',
    async (size) => {
      const plain = randomBytes(size);
      const frames = Math.max(1, Math.ceil(size / FRAME));
      for (const how of ['put', 'upload'] as const) {
        const key = `roundtrip/${how}/${randomUUID()}`;
        let stored;
        if (how === 'put') stored = await sealed.putBuffer(key, plain);
        else {
          const upload = sealed.createUpload(key);
          for (let at = 0; at < size; at += 333) await upload.write(plain.subarray(at, at + 333));
          stored = await upload.complete();
        }
        // Sizes and digests are the plaintext's, as the registry records them.
        expect(stored).toEqual({ size, sha256: sha256(plain) });
        const raw = await rawGet(key);
        const header = decodeHeader(raw)!;
        expect(raw.length).toBe(header.bytes.length + size + frames * TAG_BYTES);
        expect(raw.subarray(0, 8).equals(ENVELOPE_MAGIC)).toBe(true);
        if (size >= 16) expect(raw.includes(plain.subarray(0, 16))).toBe(false);
        expect((await sealed.getBuffer(key)).equals(plain)).toBe(true);
      }
    },
  );

  it('a ranged read from any offset returns the plaintext from there', async () => {
    const plain = randomBytes(3 * FRAME + 100);
    const key = `ranged/${randomUUID()}`;
    await sealed.putBuffer(key, plain);
    for (const offset of [1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME + 7, 3 * FRAME, plain.length - 1]) {
      const got = await readAll(await sealed.getStream(key, offset));
      expect(got.equals(plain.subarray(offset)), `from offset ${offset}`).toBe(true);
    }
  });

  it('a multipart upload of several MiB (default 1 MiB frames) reads back whole', async () => {
    const store = storeWith(new EnvelopeCipher(new MasterKeyWrapper(masterKey), true));
    const plain = randomBytes(11 * 1024 * 1024 + 5);
    const key = `multipart/${randomUUID()}`;
    const upload = store.createUpload(key, 5 * 1024 * 1024);
    for (let at = 0; at < plain.length; at += 4 * 1024 * 1024)
      await upload.write(plain.subarray(at, at + 4 * 1024 * 1024));
    await upload.complete();
    expect(sha256(await store.getBuffer(key))).toBe(sha256(plain));
    expect(sha256(await readAll(await store.getStream(key, 5 * 1024 * 1024 + 3)))).toBe(
      sha256(plain.subarray(5 * 1024 * 1024 + 3)),
    );
  }, 30_000);
});

// Stored layout with these settings: header 102 bytes (magic 0-7, version 8, log2 frame size 9,
// nonce prefix 10-16, key id length 17, wrapped key length 18-19, key id 20-41, wrapped key
// 42-101), then four frames of 1024 + 16 bytes (the last of 100 + 16).
const HEADER = 102;
const FRAME_CT = FRAME + TAG_BYTES;
const flip = (at: number) => (b: Buffer) => {
  const out = Buffer.from(b);
  out[at] = out[at]! ^ 0x01;
  return out;
};

const TAMPERING: [string, (stored: Buffer) => Buffer, IntegrityFailure][] = [
  ['a flipped marker byte (no longer looks sealed)', flip(0), 'not-sealed'],
  ['a flipped format version', flip(8), 'tampered'],
  ['a changed frame size', flip(9), 'tampered'],
  ['a flipped nonce prefix byte', flip(12), 'tampered'],
  ['a flipped key id byte', flip(30), 'wrong-key'],
  ['a flipped wrapped-key byte', flip(60), 'tampered'],
  ['a flipped byte in the first frame', flip(HEADER + 5), 'tampered'],
  ['a flipped byte in a middle frame', flip(HEADER + FRAME_CT + 500), 'tampered'],
  ['a flipped tag byte of the last frame', (b) => flip(b.length - 1)(b), 'tampered'],
  [
    'two frames swapped',
    (b) =>
      Buffer.concat([
        b.subarray(0, HEADER + FRAME_CT),
        b.subarray(HEADER + 2 * FRAME_CT, HEADER + 3 * FRAME_CT),
        b.subarray(HEADER + FRAME_CT, HEADER + 2 * FRAME_CT),
        b.subarray(HEADER + 3 * FRAME_CT),
      ]),
    'tampered',
  ],
  [
    'the last frame dropped (cut at a frame boundary)',
    (b) => b.subarray(0, HEADER + 3 * FRAME_CT),
    'tampered',
  ],
  ['the last 10 bytes cut', (b) => b.subarray(0, b.length - 10), 'tampered'],
  ['cut inside the first frame, before a tag fits', (b) => b.subarray(0, HEADER + 8), 'truncated'],
  ['cut inside the header', (b) => b.subarray(0, 50), 'truncated'],
  ['a byte appended', (b) => Buffer.concat([b, Buffer.from([0])]), 'tampered'],
  ['emptied', () => Buffer.alloc(0), 'not-sealed'],
];

describe('a changed sealed object is refused, never served', () => {
  it.each(TAMPERING)('%s', async (_what, tamper, reason) => {
    const plain = randomBytes(3 * FRAME + 100);
    const key = `tampered/${randomUUID()}`;
    await sealed.putBuffer(key, plain);
    await rawPut(key, tamper(await rawGet(key)));
    const err = await refusal(sealed.getBuffer(key));
    expect(err.reason).toBe(reason);
    expect(err.kind).toBe('FAILED_PRECONDITION');
    expect(err.objectKey).toBe(key);
    expect(err.message).toContain(`object ${key}`);
  });

  it('a ranged read that starts at the changed frame is refused too', async () => {
    const key = `tampered-range/${randomUUID()}`;
    await sealed.putBuffer(key, randomBytes(3 * FRAME + 100));
    await rawPut(key, flip(HEADER + 2 * FRAME_CT + 3)(await rawGet(key)));
    const err = await refusal(sealed.getStream(key, 2 * FRAME + 1).then(readAll));
    expect(err.reason).toBe('tampered');
    expect(err.message).toContain('frame 2');
  });
});

describe('keys', () => {
  const KEYS: [string, () => ObjectStore, IntegrityFailure | 'reads'][] = [
    ['the same master key, encryption off', () => storeWith(sealing(masterKey, false)), 'reads'],
    ['another master key', () => storeWith(sealing(randomBytes(32))), 'wrong-key'],
    ['another master key, encryption off', () => storeWith(sealing(randomBytes(32), false)), 'wrong-key'],
    ['no master key', () => storeWith(), 'no-key'],
  ];

  it.each(KEYS)('a sealed object read with %s: %s', async (_what, reader, expected) => {
    const plain = randomBytes(2 * FRAME);
    const key = `keys/${randomUUID()}`;
    await sealed.putBuffer(key, plain);
    if (expected === 'reads') {
      expect((await reader().getBuffer(key)).equals(plain)).toBe(true);
      return;
    }
    const err = await refusal(reader().getBuffer(key));
    expect(err.reason).toBe(expected);
    expect(err.message).toMatch(/AIMASS_MASTER_KEY/);
  });

  const PLAINTEXT: [string, () => ObjectStore, boolean, 'reads' | 'not-sealed'][] = [
    ['encryption on', () => sealed, false, 'not-sealed'],
    ['encryption on, acceptUnsealed', () => sealed, true, 'reads'],
    ['encryption off', () => storeWith(sealing(masterKey, false)), false, 'reads'],
    ['no key at all', () => storeWith(), false, 'reads'],
  ];

  it.each(PLAINTEXT)('a plaintext object read with %s', async (_what, reader, acceptUnsealed, expected) => {
    const plain = randomBytes(FRAME + 3);
    const key = `plain/${randomUUID()}`;
    await rawPut(key, plain);
    const read = reader().getBuffer(key, { acceptUnsealed });
    if (expected === 'reads') expect((await read).equals(plain)).toBe(true);
    else expect((await refusal(read)).reason).toBe('not-sealed');
  });

  it('each object gets its own data key and nonce prefix', async () => {
    const plain = randomBytes(100);
    const [a, b] = [`fresh/${randomUUID()}`, `fresh/${randomUUID()}`];
    await sealed.putBuffer(a, plain);
    await sealed.putBuffer(b, plain);
    const [ha, hb] = [decodeHeader(await rawGet(a))!, decodeHeader(await rawGet(b))!];
    expect(ha.keyId).toBe(hb.keyId);
    expect(ha.wrappedKey.equals(hb.wrappedKey)).toBe(false);
    expect(ha.noncePrefix.equals(hb.noncePrefix)).toBe(false);
  });
});

describe('masterKeyFromSettings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'master-key-'));
  const file = (name: string, content: string | Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };
  const key = randomBytes(32);

  it.each([
    ['AIMASS_MASTER_KEY in base64', { key: key.toString('base64'), file: '' }, key],
    ['a file of base64 text', { key: '', file: file('text', `${key.toString('base64')}\n`) }, key],
    ['a file of 32 raw bytes', { key: '', file: file('raw', key) }, key],
    ['neither', { key: '', file: '' }, undefined],
  ])('%s', (_what, settings, expected) => {
    expect(masterKeyFromSettings(settings)).toEqual(expected);
  });

  it.each([
    ['16 bytes', { key: randomBytes(16).toString('base64'), file: '' }, /decodes to 16 bytes/],
    ['not base64', { key: 'not*base64', file: '' }, /must be 32 random bytes in base64/],
    ['a missing file', { key: '', file: path.join(dir, 'absent') }, /cannot be read/],
    ['a file of 31 bytes', { key: '', file: file('short', randomBytes(31)) }, /must be 32 random bytes/],
  ])('refuses %s', (_what, settings, message) => {
    expect(() => masterKeyFromSettings(settings)).toThrow(message);
  });
});
