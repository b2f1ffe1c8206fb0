import type { registryv1 } from '@aimass/contracts';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir } from '@aimass/testing';
import { writeShardedChain } from '@aimass/testing/onnx-external';
import { status } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  failure,
  pieces,
  push,
  startRegistry,
  unary,
  type RegistryUnderTest,
} from './registry-harness.js';

// onnx-external pushes over gRPC, against a real registry, nats-server and S3 endpoint: a tar of a
// graph and the external-data files it names is stored as one version and downloaded byte for byte;
// every tar that onnxruntime could not open the way it was pushed is refused with INVALID_ARGUMENT
// naming what is wrong, and leaves no version and no object behind.

let t: RegistryUnderTest;
const tmp = makeScratchDir('registry-onnx-external');
// Two 16 x 16 layers in one data file (2 KiB of weights at offsets 0 and 1024).
const chain = writeShardedChain(path.join(tmp, 'chain'), { width: 16, layers: 2, layersPerShard: 2 });
const graph = fs.readFileSync(chain.graphPath);
const weights = fs.readFileSync(path.join(tmp, 'chain', chain.dataFiles[0]!));
const shard = chain.dataFiles[0]!;
const inline = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 4, hidden: [8], outputDim: 2, seed: 3, activation: 'relu' }),
  ),
);

type Entry = { name: string; body?: Buffer; type?: 'file' | 'symlink'; linkname?: string };

async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries)
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else pack.entry({ name: e.name, size: e.body!.length }, e.body!);
  pack.finalize();
  const out: Buffer[] = [];
  for await (const chunk of pack) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

function pushTar(model: string, bytes: Buffer): Promise<registryv1.ModelVersion__Output> {
  return push(t.client, { model, format: 'onnx-external' }, pieces(bytes, 1024));
}

async function versionsOf(model: string): Promise<number> {
  const res = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
    t.client.ListVersions({ model, include_deleted: true }, cb),
  ).catch(() => ({ versions: [] }));
  return res.versions.length;
}

beforeAll(async () => {
  t = await startRegistry();
});
afterAll(async () => t?.stop());

describe('onnx-external pushes', () => {
  it('stores a graph and its shard as one version, with the signature read from the graph, and downloads it whole', async () => {
    const bytes = await tarOf([
      { name: 'model.onnx', body: graph },
      { name: shard, body: weights },
    ]);
    const v = await pushTar('chain', bytes);
    expect(v).toMatchObject({ version: 1, format: 'onnx-external', size_bytes: String(bytes.length) });
    expect(v.signature?.inputs?.[0]).toMatchObject({ name: 'input', datatype: 'FP32' });
    expect((await download(t.client, 'chain', '1')).bytes.equals(bytes)).toBe(true);
  });

  const bad: Array<[string, () => Promise<Buffer>, RegExp]> = [
    ['bytes that are not a tar', async () => graph, /tar/i],
    ['a tar without a graph', () => tarOf([{ name: shard, body: weights }]), /holds no ONNX graph/],
    [
      'two graphs',
      () =>
        tarOf([
          { name: 'model.onnx', body: graph },
          { name: 'other.onnx', body: graph },
          { name: shard, body: weights },
        ]),
      /several graphs \(model\.onnx, other\.onnx\)/,
    ],
    [
      'a graph whose shard is missing',
      () => tarOf([{ name: 'model.onnx', body: graph }]),
      new RegExp(`keeps its data in "${shard}", which the tar does not hold`),
    ],
    [
      'a shard too short for the offsets the graph names',
      () =>
        tarOf([
          { name: 'model.onnx', body: graph },
          { name: shard, body: weights.subarray(0, 1500) },
        ]),
      new RegExp(`reads bytes 1024 to 2048 of "${shard}", which holds 1500`),
    ],
    [
      'a file the graph does not name',
      () =>
        tarOf([
          { name: 'model.onnx', body: graph },
          { name: shard, body: weights },
          { name: 'notes.txt', body: Buffer.from('hello') },
        ]),
      /notes\.txt/,
    ],
    [
      'an entry outside the tar',
      () =>
        tarOf([
          { name: 'model.onnx', body: graph },
          { name: shard, body: weights },
          { name: '../escape.bin', body: weights },
        ]),
      /\.\.\/escape\.bin/,
    ],
    [
      'a symbolic link',
      () =>
        tarOf([
          { name: 'model.onnx', body: graph },
          { name: shard, type: 'symlink', linkname: '/etc/passwd' },
        ]),
      /symlink/,
    ],
    [
      'a graph with every weight inline',
      () => tarOf([{ name: 'model.onnx', body: inline }]),
      /model\.onnx keeps all its weights inline; push it alone with format onnx/,
    ],
  ];

  it.each(bad)('refuses %s with INVALID_ARGUMENT and stores nothing', async (what, make, message) => {
    const model = `bad-${bad.findIndex(([name]) => name === what)}`;
    const err = await failure(pushTar(model, await make()));
    expect(err.code, err.details).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
    expect(await versionsOf(model)).toBe(0);
  });
});
