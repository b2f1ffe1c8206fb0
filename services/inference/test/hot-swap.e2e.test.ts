import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import type { Mesh } from '@aimass/testing';
import { Client as MinioClient } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary, type InferResponse, type OipClient } from './oip-client.js';
import { pushModel, setAlias } from './registry-push.js';
import { startServing, type ServingMesh } from './serving-mesh.js';

// Hot swap under load: 64 clients keep requests in flight on the `production` selector while the
// alias moves twice, then once more to a version whose artifact is corrupt. No request may fail;
// answers come from the versions in order; the corrupt version never serves.

const CLIENTS = 64;
const LOAD_MS = 10_000;

describe('hot swap under load', () => {
  let serving: ServingMesh;
  let mesh: Mesh;
  let oip: OipClient;
  let registry: ServingMesh['registry'];

  beforeAll(async () => {
    serving = await startServing();
    ({ mesh, oip, registry } = serving);
    for (const seed of [1, 2, 3, 4]) {
      const bytes = exportDenseNetwork(
        randomDenseNetwork({ inputDim: 16, hidden: [32], outputDim: 4, seed, activation: 'tanh' }),
      );
      await pushModel(registry, 'swap', bytes, seed === 1 ? { alias: 'production' } : {});
    }
  });

  afterAll(async () => {
    await serving?.stop();
  });

  it('moves production 1 → 2 → 3 while 64 clients call, with zero failures, and keeps 3 when 4 cannot load', async () => {
    // Version 4's artifact is altered behind the registry's back: its digest check must fail.
    const s3 = new URL(mesh.env.AIMASS_S3_ENDPOINT!);
    const minio = new MinioClient({
      endPoint: s3.hostname,
      port: Number(s3.port),
      useSSL: false,
      accessKey: mesh.env.AIMASS_S3_ACCESS_KEY!,
      secretKey: mesh.env.AIMASS_S3_SECRET_KEY!,
      pathStyle: true,
    });
    const v4 = await new Promise<{ artifactKey: string }>((resolve, reject) =>
      registry.GetVersion!({ model: 'swap', version: '4' }, (e: Error | null, r: { artifact_key: string }) =>
        e ? reject(e) : resolve({ artifactKey: r.artifact_key }),
      ),
    );
    const corrupt = Buffer.from(
      exportDenseNetwork(
        randomDenseNetwork({ inputDim: 16, hidden: [32], outputDim: 4, seed: 99, activation: 'tanh' }),
      ),
    );
    await minio.putObject('aimass-artifacts', v4.artifactKey, corrupt, corrupt.length);

    const request = {
      modelName: 'swap',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 16] }],
      rawInputContents: [Buffer.alloc(64, 1)],
    };
    const seen: number[][] = [];
    const failures: string[] = [];
    let done = 0;
    const end = Date.now() + LOAD_MS;
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      seen[client] = [];
      while (Date.now() < end) {
        try {
          const res = await unary<InferResponse>(oip, 'ModelInfer', request);
          seen[client]!.push(Number(res.modelVersion));
          done++;
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    });
    const moves = (async () => {
      for (const [at, version] of [
        [2000, 2],
        [4500, 3],
        [7000, 4],
      ] as const) {
        await new Promise((r) => setTimeout(r, at - (LOAD_MS - (end - Date.now()))));
        await setAlias(registry, 'swap', 'production', version);
      }
    })();
    await Promise.all([...clients, moves]);

    expect([...new Set(failures)]).toEqual([]);
    expect(done).toBeGreaterThan(1000);
    // Each client's answers move forward only: 1, then 2, then 3; never 4.
    expect(new Set(seen.flat())).toEqual(new Set([1, 2, 3]));
    for (const versions of seen) {
      expect(
        versions.every((v, i) => i === 0 || v >= versions[i - 1]!),
        `a client went back to an older version: ${versions.join(',')}`,
      ).toBe(true);
      expect(versions.at(-1)).toBe(3);
    }
    const index = await unary<{ models: { name: string; version: string; state: string }[] }>(
      oip,
      'RepositoryIndex',
      { ready: true },
    );
    expect(index.models.filter((m) => m.name === 'swap').map((m) => m.version)).toEqual(['3']);
  }, 60_000);
});
