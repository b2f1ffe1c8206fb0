import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InputFileError } from './errors.js';
import { packTfjsDirectory } from './tfjs-pack.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-cli-tfjs-pack-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function entries(file: string): Promise<Record<string, string>> {
  const extract = tar.extract();
  const out: Record<string, string> = {};
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out[header.name] = Buffer.concat(chunks).toString();
      next();
    });
  });
  const done = new Promise((resolve, reject) => {
    extract.on('finish', () => resolve(undefined));
    extract.on('error', reject);
  });
  fs.createReadStream(file).pipe(extract);
  await done;
  return out;
}

describe('packTfjsDirectory', () => {
  it('packs model.json and the weight files at the root of a tar', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'tfjs-dir-'));
    fs.writeFileSync(path.join(dir, 'model.json'), '{"format":"layers-model"}');
    fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), 'weights');
    const tarFile = await packTfjsDirectory(dir);
    try {
      expect(await entries(tarFile)).toEqual({
        'group1-shard1of1.bin': 'weights',
        'model.json': '{"format":"layers-model"}',
      });
    } finally {
      // The tar is in a temporary directory of its own, which the caller removes.
      fs.rmSync(path.dirname(tarFile), { recursive: true, force: true });
    }
  });

  it.each([
    [
      'a file',
      () => {
        const d = fs.mkdtempSync(path.join(tmp, 'x-'));
        const f = path.join(d, 'm.onnx');
        fs.writeFileSync(f, 'x');
        return f;
      },
      'is not a directory',
    ],
    ['a directory without model.json', () => fs.mkdtempSync(path.join(tmp, 'x-')), 'holds no model.json'],
  ])('refuses %s', async (_what, make, reason) => {
    const err = await packTfjsDirectory(make()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toContain(reason);
  });

  it('names a weight file it cannot read, and leaves no temporary tar behind', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'tfjs-dir-'));
    fs.writeFileSync(path.join(dir, 'model.json'), '{"format":"layers-model"}');
    const shard = path.join(dir, 'group1-shard1of1.bin');
    fs.writeFileSync(shard, 'weights');
    // A read error (a failing disk, a file made unreadable meanwhile) on the shard only; tests run as
    // root here, where file modes do not stop reads.
    const read = fs.createReadStream.bind(fs);
    const spy = vi.spyOn(fs, 'createReadStream').mockImplementation(((
      file: fs.PathLike,
      options?: unknown,
    ) => {
      if (file !== shard) return read(file, options as never);
      const failing = new PassThrough();
      setImmediate(() => failing.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })));
      return failing as unknown as fs.ReadStream;
    }) as typeof fs.createReadStream);
    const before = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('aimass-tfjs-')));
    try {
      const err = await packTfjsDirectory(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toBe(`cannot read ${shard}: EIO: i/o error, read`);
      expect(
        fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('aimass-tfjs-') && !before.has(n)),
      ).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });
});
