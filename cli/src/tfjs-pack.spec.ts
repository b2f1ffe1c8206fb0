import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
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
      expect(await entries(tarFile)).toEqual({ 'group1-shard1of1.bin': 'weights', 'model.json': '{"format":"layers-model"}' });
    } finally {
      // The tar is in a temporary directory of its own, which the caller removes.
      fs.rmSync(path.dirname(tarFile), { recursive: true, force: true });
    }
  });

  it.each([
    ['a file', () => { const d = fs.mkdtempSync(path.join(tmp, 'x-')); const f = path.join(d, 'm.onnx'); fs.writeFileSync(f, 'x'); return f; }, 'is not a directory'],
    ['a directory without model.json', () => fs.mkdtempSync(path.join(tmp, 'x-')), 'holds no model.json'],
  ])('refuses %s', async (_what, make, reason) => {
    const err = await packTfjsDirectory(make()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputFileError);
    expect((err as Error).message).toContain(reason);
  });
});
