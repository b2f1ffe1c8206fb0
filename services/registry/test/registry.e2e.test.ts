import type { registryv1 } from '@aimass/contracts';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { packTar } from '@aimass/testing/tfjs';
import { status } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  download,
  failure,
  pieces,
  push,
  sha256,
  startRegistry,
  unary,
  type RegistryUnderTest,
} from './registry-harness.js';
import { tfjsLayersArtifact } from './tfjs-artifact.js';

// The registry as its users see it: a real process behind gRPC, on a real nats-server and S3 endpoint.

const LIMIT = 4 * 1024 * 1024;
const onnx = (seed: number) =>
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 4, hidden: [8], outputDim: 2, seed, activation: 'relu' }),
  );

let t: RegistryUnderTest;
let client: registryv1.RegistryServiceClient;

beforeAll(async () => {
  t = await startRegistry({ AIMASS_MAX_ARTIFACT_BYTES: String(LIMIT) });
  client = t.client;
});
afterAll(async () => t?.stop());

const listVersions = (model: string) =>
  unary<registryv1.ListVersionsResponse__Output>((cb) => client.ListVersions({ model }, cb));

describe('registry over gRPC', () => {
  it('gives 20 concurrent pushes to one model the versions 1..20, without gap or duplicate', async () => {
    const pushed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        push(client, { model: 'concurrent', format: 'onnx' }, pieces(onnx(i), 100)),
      ),
    );
    expect(pushed.map((v) => v.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const { versions } = await listVersions('concurrent');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const model = await unary<registryv1.Model__Output>((cb) => client.GetModel({ name: 'concurrent' }, cb));
    expect(model.latest_version).toBe(20);
  });

  it('announces an alias move to an independent NATS subscriber, and keeps the history of the alias', async () => {
    const nc = await connect({ servers: t.nats.url });
    try {
      const sub = nc.subscribe('aimass.events.registry.alias.moved', { max: 1 });
      await nc.flush();
      const v1 = await push(client, { model: 'aliased', format: 'onnx' }, pieces(onnx(1)));
      const v2 = await push(client, { model: 'aliased', format: 'onnx', alias: 'champion' }, pieces(onnx(2)));
      let received: unknown;
      for await (const msg of sub) received = JSON.parse(new TextDecoder().decode(msg.data));
      expect(received).toMatchObject({
        type: 'registry.alias.moved',
        data: { model: 'aliased', alias: 'champion', version: v2.version, previous_version: 0 },
      });

      await unary((cb) => client.SetAlias({ model: 'aliased', alias: 'champion', version: v1.version }, cb));
      await unary((cb) => client.DeleteAlias({ model: 'aliased', alias: 'champion' }, cb));
      const { changes } = await unary<registryv1.ListAliasHistoryResponse__Output>((cb) =>
        client.ListAliasHistory({ model: 'aliased', alias: 'champion' }, cb),
      );
      expect(changes.map((c) => [c.version, c.previous_version])).toEqual([
        [2, 0],
        [1, 2],
        [0, 1],
      ]);
    } finally {
      await nc.close();
    }
  });

  it('refuses to archive or delete a version an alias points at, and archives it once the alias is gone', async () => {
    const v = await push(client, { model: 'states', format: 'onnx', alias: 'production' }, pieces(onnx(3)));
    for (const state of ['ARCHIVED', 'DELETED']) {
      const err = await failure(
        unary((cb) => client.SetVersionState({ model: 'states', version: v.version, state }, cb)),
      );
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain('production points at it');
    }
    await unary((cb) => client.DeleteAlias({ model: 'states', alias: 'production' }, cb));
    const archived = await unary<registryv1.ModelVersion__Output>((cb) =>
      client.SetVersionState({ model: 'states', version: v.version, state: 'ARCHIVED' }, cb),
    );
    expect(archived.state).toBe('ARCHIVED');
    const err = await failure(
      unary((cb) => client.SetAlias({ model: 'states', alias: 'production', version: v.version }, cb)),
    );
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    await unary((cb) =>
      client.SetVersionState({ model: 'states', version: v.version, state: 'DELETED' }, cb),
    );
    expect((await listVersions('states')).versions).toEqual([]);
    const gone = await failure(download(client, 'states', String(v.version)));
    expect(gone.code).toBe(status.FAILED_PRECONDITION);
  });

  it('round-trips an ONNX artifact and a TF.js artifact with identical digests', async () => {
    const bytes = Buffer.from(onnx(7));
    const pushedOnnx = await push(
      client,
      { model: 'roundtrip-onnx', format: 'onnx', sha256: sha256(bytes), size_bytes: String(bytes.length) },
      pieces(bytes, 333),
    );
    expect(pushedOnnx.sha256).toBe(sha256(bytes));
    const back = await download(client, 'roundtrip-onnx', String(pushedOnnx.version));
    expect(sha256(back.bytes)).toBe(sha256(bytes));
    expect(back.version?.signature?.inputs).toEqual([
      { name: 'input', datatype: 'FP32', shape: ['-1', '4'] },
    ]);

    const artifact = await tfjsLayersArtifact();
    const pushedTfjs = await push(
      client,
      { model: 'roundtrip-tfjs', format: 'tfjs', sha256: sha256(artifact.tar) },
      pieces(artifact.tar, 1000),
    );
    expect(pushedTfjs).toMatchObject({
      format: 'tfjs',
      sha256: sha256(artifact.tar),
      size_bytes: String(artifact.tar.length),
    });
    expect(pushedTfjs.signature).toEqual({
      inputs: [{ name: 'hidden_input', datatype: 'FP32', shape: ['-1', '6'] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: ['-1', '3'] }],
    });
    const tfjsBack = await download(client, 'roundtrip-tfjs', '');
    expect(sha256(tfjsBack.bytes)).toBe(sha256(artifact.tar));
    const tail = await download(client, 'roundtrip-tfjs', '', 1000);
    expect(tail.bytes.equals(artifact.tar.subarray(1000))).toBe(true);
    const model = await unary<registryv1.Model__Output>((cb) =>
      client.GetModel({ name: 'roundtrip-tfjs' }, cb),
    );
    expect(model.framework).toBe('tfjs');
  });

  it('refuses a TF.js tar whose manifest names a missing weight file', async () => {
    const { tar: _full, files } = await tfjsLayersArtifact();
    const torn = await packTar({
      'model.json': files['model.json']!,
      'group1-shard1of2.bin': files['group1-shard1of2.bin']!,
    });
    const err = await failure(push(client, { model: 'torn-tfjs', format: 'tfjs' }, pieces(torn)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain('"group1-shard2of2.bin", which is not in the tar');
  });

  describe('refuses bad model names with INVALID_ARGUMENT saying why', () => {
    it.each([
      ['a relative path', '../x', 'path separator'],
      ['an empty name', '', 'model name is empty'],
      ['300 characters', 'a'.repeat(300), 'the limit is 128'],
      ['control characters', 'bad\u0007name', 'control characters'],
      ['a slash', 'team/model', 'path separator'],
      ['a leading dot', '.hidden', 'looks like a relative path'],
      ['a space', 'my model', "only letters, digits, '-' and '_'"],
    ])('%s', async (_what, name, reason) => {
      const created = await failure(unary((cb) => client.CreateModel({ name }, cb)));
      expect(created.code).toBe(status.INVALID_ARGUMENT);
      expect(created.details).toContain(reason);
      const pushed = await failure(push(client, { model: name, format: 'onnx' }, pieces(onnx(1))));
      expect(pushed.code).toBe(status.INVALID_ARGUMENT);
      expect(pushed.details).toContain(reason);
    });
  });

  it('refuses an oversize upload with RESOURCE_EXHAUSTED naming the limit, and keeps no version', async () => {
    const big = Buffer.alloc(LIMIT + 1);
    const streamed = await failure(
      push(client, { model: 'oversize', format: 'onnx' }, pieces(big, 512 * 1024)),
    );
    expect(streamed.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(streamed.details).toContain(`limit of ${LIMIT} bytes (AIMASS_MAX_ARTIFACT_BYTES)`);
    const announced = await failure(
      push(client, { model: 'oversize', format: 'onnx', size_bytes: String(LIMIT + 1) }, pieces(onnx(1))),
    );
    expect(announced.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(announced.details).toContain('AIMASS_MAX_ARTIFACT_BYTES');
    const err = await failure(listVersions('oversize'));
    expect(err.code).toBe(status.NOT_FOUND);
  });
});
