import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tar from 'tar-stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InputFileError } from './errors.js';
import { exportIdentityModel } from '@aimass/onnx';
import { writeShardedChain } from '@aimass/testing/onnx-external';
import { packOnnxExternal, packTfjsDirectory } from './artifact-pack.js';

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

describe('packOnnxExternal', () => {
  it('packs the graph and the shards its initializers name, and nothing else beside them', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'onnx-external-'));
    const chain = writeShardedChain(dir, { width: 4, layers: 3, layersPerShard: 2 });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not part of the model');
    const tarFile = await packOnnxExternal(chain.graphPath);
    try {
      const packed = await entries(tarFile);
      expect(Object.keys(packed).sort()).toEqual(['model.onnx', 'weights-000.bin', 'weights-001.bin']);
      expect(fs.statSync(tarFile).size).toBeGreaterThan(3 * 4 * 4 * 4);
    } finally {
      fs.rmSync(path.dirname(tarFile), { recursive: true, force: true });
    }
  });

  it('refuses a self-contained graph and a graph whose shard is missing, leaving no tar behind', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'onnx-inline-'));
    fs.writeFileSync(path.join(dir, 'model.onnx'), exportIdentityModel({ datatype: 'FP32', shape: [1, 2] }));
    await expect(packOnnxExternal(path.join(dir, 'model.onnx'))).rejects.toThrow(
      /names no external data: push it with --format onnx/,
    );
    const chain = writeShardedChain(fs.mkdtempSync(path.join(tmp, 'onnx-missing-')), {
      width: 4,
      layers: 2,
      layersPerShard: 1,
    });
    fs.rmSync(path.join(path.dirname(chain.graphPath), 'weights-001.bin'));
    const before = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('aimass-onnx-')).length;
    await expect(packOnnxExternal(chain.graphPath)).rejects.toThrow(/weights-001\.bin/);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('aimass-onnx-')).length).toBe(before);
  });
});
