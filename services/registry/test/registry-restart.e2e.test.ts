import type { registryv1 } from '@aimass/contracts';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, pieces, push, sha256, unary, withRegistryClient } from './registry-harness.js';

// All registry state lives in NATS KV and S3: a new registry process sees everything the old one wrote.

let mesh: Mesh;
const onnx = Buffer.from(
  exportDenseNetwork(
    randomDenseNetwork({ inputDim: 64, hidden: [32], outputDim: 8, seed: 31, activation: 'tanh' }),
  ),
);

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('registry-restart'),
    services: ['registry'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
});
afterAll(async () => {
  await mesh?.stop();
});

describe('a registry restart', () => {
  it('keeps models, versions, aliases, alias history, statistics and artifacts', async () => {
    const before = await withRegistryClient(mesh, async (client) => {
      await unary((cb) =>
        client.CreateModel(
          {
            name: 'kept',
            description: 'survives',
            owner: 'ops',
            tags: { tier: 'gold' },
            model_card: '# Kept',
          },
          cb,
        ),
      );
      const v1 = await push(
        client,
        { model: 'kept', format: 'onnx', sha256: sha256(onnx), lineage: { source_job_id: 'job-1' } },
        pieces(onnx),
      );
      const v2 = await push(client, { model: 'kept', format: 'onnx', alias: 'staging' }, pieces(onnx));
      await unary((cb) => client.SetAlias({ model: 'kept', alias: 'production', version: v1.version }, cb));
      await unary((cb) => client.SetAlias({ model: 'kept', alias: 'staging', version: v1.version }, cb));
      await unary((cb) =>
        client.SetVersionState({ model: 'kept', version: v2.version, state: 'ARCHIVED' }, cb),
      );
      await unary((cb) =>
        client.SetReferenceStatistics(
          { model: 'kept', version: v1.version, statistics: { features: [{ name: 'f0', mean: 0.5 }] } },
          cb,
        ),
      );
      return {
        model: await unary<registryv1.Model__Output>((cb) => client.GetModel({ name: 'kept' }, cb)),
        versions: await unary<registryv1.ListVersionsResponse__Output>((cb) =>
          client.ListVersions({ model: 'kept' }, cb),
        ),
        history: await unary<registryv1.ListAliasHistoryResponse__Output>((cb) =>
          client.ListAliasHistory({ model: 'kept', alias: '' }, cb),
        ),
      };
    });
    expect(before.history.changes).toHaveLength(3);

    await mesh.restartService('registry');

    await withRegistryClient(mesh, async (client) => {
      const model = await unary<registryv1.Model__Output>((cb) => client.GetModel({ name: 'kept' }, cb));
      expect(model).toEqual(before.model);
      expect(model.aliases).toEqual({ production: 1, staging: 1 });
      const versions = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
        client.ListVersions({ model: 'kept' }, cb),
      );
      expect(versions).toEqual(before.versions);
      expect(versions.versions.map((v) => [v.version, v.state])).toEqual([
        [1, 'READY'],
        [2, 'ARCHIVED'],
      ]);
      const history = await unary<registryv1.ListAliasHistoryResponse__Output>((cb) =>
        client.ListAliasHistory({ model: 'kept', alias: '' }, cb),
      );
      expect(history).toEqual(before.history);
      const stats = await unary<registryv1.ReferenceStatistics__Output>((cb) =>
        client.GetReferenceStatistics({ model: 'kept', version: 'production' }, cb),
      );
      expect(stats.features.map((f) => [f.name, f.mean])).toEqual([['f0', 0.5]]);
      const back = await download(client, 'kept', '');
      expect(back.version?.version).toBe(1);
      expect(sha256(back.bytes)).toBe(sha256(onnx));

      // Numbering continues where it stopped.
      const v3 = await push(client, { model: 'kept', format: 'onnx' }, pieces(onnx));
      expect(v3.version).toBe(3);
    });
  });
});
