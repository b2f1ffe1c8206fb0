import type { registryv1, trainerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc';
import { eventually, makeScratchDir, repoRoot, startMesh, type Mesh } from '@aimass/testing';
import type { Client, ServiceError } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The console in Debian's Chromium against a whole mesh with authentication on: a small job is
// trained, served and sent predictions; each view shows what the API says, and charts grow live
// when an epoch or a prediction arrives. Screenshots go to test-artifacts/console/.

const ARTIFACTS = path.join(repoRoot(), 'test-artifacts', 'console');
const MODEL = 'console-e2e';
// Different rows per job, so the compared curves differ.
const spec = (epochs: number) => ({
  family: 'ae',
  dataset: { builtin: 'anomaly_blobs', rows: 128 + 4 * epochs, features: 4 },
  architecture: { hidden: [8], latent_dim: 2 },
  epochs,
  batch_size: 32,
  model_name: MODEL,
  alias: 'production',
});

let mesh: Mesh;
let browser: Browser;
let page: Page;
let http: string;
let trainer: Client;
let registry: Client;
let inference: Client;

function call<Req, Res>(client: Client, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, (r: Req, cb: (e: ServiceError | null, v: Res) => void) => void>)[
      method
    ]!(request, (err, value) => (err ? reject(err) : resolve(value))),
  );
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(`${http}${url}`);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

async function train(jobId: string, epochs: number): Promise<trainerv1.Job__Output> {
  await call(trainer, 'SubmitJob', { job_id: jobId, spec_json: JSON.stringify(spec(epochs)) });
  return eventually(
    `job ${jobId}`,
    async () => {
      const job = await call<object, trainerv1.Job__Output>(trainer, 'GetJob', {
        job_id: jobId,
      });
      if (job.state === 'FAILED') throw new Error(`job failed: ${job.reason}`);
      return job.state === 'SUCCEEDED' ? job : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

async function predict(rows: number): Promise<void> {
  await call(inference, 'ModelInfer', {
    model_name: MODEL,
    model_version: '',
    inputs: [
      {
        name: inputName,
        datatype: 'FP32',
        shape: [rows, 4],
        contents: { fp32_contents: Array.from({ length: rows * 4 }, (_, i) => Math.sin(i)) },
      },
    ],
  });
}

let inputName = '';

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const POLL = { timeout: 20_000 };
const pointsOf = (selector: string) =>
  page.locator(selector).first().getAttribute('data-points').then(Number);

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mesh = await startMesh({
    stateDir: makeScratchDir('console-browser'),
    auth: true,
    extraEnv: { AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '300', AIMASS_LOG_LEVEL: 'warn' },
  });
  http = mesh.env.AIMASS_MONITOR_HTTP!;
  const token = await mesh.auth!.mint('console-e2e', ['train', 'models:read', 'models:write', 'infer']);
  trainer = createMeshClient('trainer', mesh.env.AIMASS_TRAINER_GRPC!, {}, token);
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!, {}, token);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!, {}, token);
  await train('console-first', 12);
  const version = await call<object, registryv1.ModelVersion__Output>(registry, 'GetVersion', {
    model: MODEL,
    version: '1',
  });
  inputName = version.signature!.inputs[0]!.name;
  for (let i = 0; i < 5; i++) await predict(3);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  for (const c of [trainer, registry, inference]) c?.close();
  await mesh?.stop();
});

describe('the console in Chromium', () => {
  it('Models: the list and a version show the counts the API gives, and the charts grow with predictions', async () => {
    const served = await eventually(
      'the monitor to count 5 requests',
      async () => {
        const { stats } = await api<{ stats: { model: string; requests: number; failures: number }[] }>(
          `/api/models?model=${MODEL}`,
        );
        return stats[0]?.requests === 5 ? stats[0] : undefined;
      },
      { timeoutMs: 120_000 },
    );
    await page.goto(`${http}/#/models`);
    await expect
      .poll(() => page.locator(`[data-model="${MODEL}"] [data-testid="model-requests"]`).textContent(), POLL)
      .toBe(String(served.requests));
    await shot('models');

    await page.goto(`${http}/#/models/${MODEL}`);
    const row = page.locator('[data-version="1"]');
    await expect.poll(() => row.locator('[data-testid="version-requests"]').textContent(), POLL).toBe('5');
    expect(await row.locator('[data-testid="version-failures"]').textContent()).toBe(String(served.failures));
    expect(await row.textContent()).toContain('production');
    expect(await row.textContent()).toContain('job console-first');
    const traces = await row.locator('[data-testid="traces-link"]').getAttribute('href');
    expect(traces).toContain('aimass.model%22%3A%22console-e2e');
    const before = await eventually(
      'the throughput chart',
      async () => (await pointsOf('[data-testid="chart-throughput"]')) || undefined,
      { timeoutMs: 120_000 },
    );
    for (let i = 0; i < 4; i++) await predict(2);
    await expect
      .poll(() => pointsOf('[data-testid="chart-throughput"]'), { timeout: 30_000 })
      .toBeGreaterThan(before);
    await expect
      .poll(() => row.locator('[data-testid="version-requests"]').textContent(), { timeout: 30_000 })
      .toBe('9');
    await shot('model-detail');
  });

  it('Training: run rows match the API and a running job draws its epochs live', async () => {
    await page.goto(`${http}/#/training?runs=console-first,console-live&focus=console-first`);
    const { runs } = await api<{ runs: { job_id: string; epoch: number; epochs: number }[] }>(
      '/api/console/training/runs',
    );
    const first = runs.find((r) => r.job_id === 'console-first')!;
    expect(first).toMatchObject({ epoch: 12, epochs: 12 });
    await expect
      .poll(() => page.locator('[data-job="console-first"] [data-testid="run-epoch"]').textContent(), POLL)
      .toBe('12/12');
    await expect.poll(() => page.locator('[data-testid="attempts"] tbody tr').count(), POLL).toBe(1);
    expect(await page.locator('[data-testid="run-log"]').textContent()).toContain(
      'succeeded after 12 epochs',
    );

    const chart = '[data-testid^="curve-loss."]';
    const firstOnly = await eventually('the loss chart', async () => (await pointsOf(chart)) || undefined, {
      timeoutMs: 120_000,
    });
    expect(firstOnly).toBe(12);
    const job = train('console-live', 40);
    await expect.poll(() => pointsOf(chart), { timeout: 120_000 }).toBeGreaterThan(12);
    const mid = await pointsOf(chart);
    await expect.poll(() => pointsOf(chart), { timeout: 120_000 }).toBeGreaterThan(mid);
    await job;
    await expect.poll(() => pointsOf(chart), { timeout: 30_000 }).toBe(52);
    await expect
      .poll(() => page.locator('[data-job="console-live"] [data-testid="run-epoch"]').textContent(), POLL)
      .toBe('40/40');
    const live = page.locator('[data-job="console-live"]');
    await expect.poll(() => live.locator('.badge').textContent(), POLL).toBe('succeeded');
    const { runs: after } = await api<{ runs: { job_id: string; last: Record<string, number> }[] }>(
      '/api/console/training/runs',
    );
    const lastLoss = after.find((r) => r.job_id === 'console-live')!.last['loss.loss']!;
    expect(Number(await live.locator('[data-testid="run-loss"]').textContent())).toBeCloseTo(lastLoss, 3);
    await shot('training');
  });

  it('Data: the reference histograms of a trained version, feature by feature as the registry has them', async () => {
    const reference = await api<{ features: { name: string; count: number }[] }>(
      `/api/console/data/${MODEL}/1`,
    );
    expect(reference.features).toHaveLength(4);
    await page.goto(`${http}/#/data/${MODEL}/1`);
    await expect.poll(() => page.locator('[data-feature]').count(), POLL).toBe(4);
    for (const f of reference.features)
      expect(
        await page.locator(`[data-feature="${f.name}"] [data-testid="feature-count"]`).textContent(),
      ).toBe(f.count.toLocaleString('en-US'));
    // A few predictions close no drift window: the live side says so, as the API does.
    const live = await api<{ drift_windows: number }>(`/api/console/data/${MODEL}/1/live`);
    await expect
      .poll(() => page.locator('[data-testid="drift-windows"]').textContent(), POLL)
      .toBe(String(live.drift_windows));
    await shot('data');
  });

  it('Alert actions with authentication on: the console endpoints and gRPC take the same access rules', async () => {
    const post = (url: string, body: unknown, token?: string) =>
      fetch(`${http}${url}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const silence = { model: MODEL, duration_seconds: 60, reason: 'auth check', by: 'claimed-name' };
    const reader = await mesh.auth!.mint('reader', ['models:read']);
    const writer = await mesh.auth!.mint('writer', [`models:write:${MODEL}`]);
    expect((await post('/api/console/silences', silence)).status).toBe(401);
    expect((await post('/api/console/silences', silence, reader)).status).toBe(403);
    const created = await post('/api/console/silences', silence, writer);
    expect(created.status).toBe(200);
    // The token's subject acts, whatever the request claims.
    expect(await created.json()).toMatchObject({ model: MODEL, by: 'writer', active: true });
    // An id that names no alert: a token for one model cannot tell (403), one for every model learns 404.
    expect((await post('/api/console/alerts/no-such-alert/acknowledge', { by: 'x' }, writer)).status).toBe(
      403,
    );
    const admin = await mesh.auth!.mint('admin', ['models:write']);
    expect((await post('/api/console/alerts/no-such-alert/acknowledge', { by: 'x' }, admin)).status).toBe(
      404,
    );
    // From the console, with the writer's token typed in.
    await page.goto(`${http}/#/alerts`);
    await page.fill('[data-testid="actor"]', 'someone');
    await page.fill('[data-testid="token"]', writer);
    await page.fill('[data-testid="silence-model"]', MODEL);
    await page.fill('[data-testid="silence-reason"]', 'from the console');
    await page.click('[data-testid="silence-submit"]');
    await expect.poll(() => page.locator('[data-testid="silence"]').count(), POLL).toBe(2);
    await shot('alerts');
    const monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!, {}, reader);
    try {
      const err = (await call(monitor, 'SilenceAlerts', silence).catch((e: unknown) => e)) as ServiceError;
      expect(err.code).toBe(7);
      const { silences } = await call<object, { silences: { by: string; reason: string }[] }>(
        monitor,
        'ListSilences',
        {
          model: MODEL,
        },
      );
      expect(silences.map((s) => [s.by, s.reason])).toEqual([
        ['writer', 'from the console'],
        ['writer', 'auth check'],
      ]);
    } finally {
      monitor.close();
    }
  });

  it('Mesh: every service SERVING and the trainer node with its jobs, as the API reports', async () => {
    const mesh = await eventually(
      'a trainer heartbeat',
      async () => {
        const body = await api<{
          services: { status: string }[];
          nodes: { node_id: string; active_jobs: number; concurrency: number }[];
        }>('/api/console/mesh');
        return body.nodes.length > 0 ? body : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(mesh.services.map((s) => s.status)).toEqual(Array(5).fill('SERVING'));
    await page.goto(`${http}/#/mesh`);
    await expect
      .poll(() => page.locator('[data-testid="service-status"]').allTextContents(), POLL)
      .toEqual(Array(5).fill('SERVING'));
    // Heartbeats keep coming: the page and the API agree on the node's latest jobs/concurrency.
    const nodeId = mesh.nodes[0]!.node_id;
    await expect
      .poll(async () => {
        const { nodes } = await api<{
          nodes: { node_id: string; active_jobs: number; concurrency: number }[];
        }>('/api/console/mesh');
        const node = nodes.find((n) => n.node_id === nodeId)!;
        const shown = await page.locator(`[data-node="${nodeId}"] [data-testid="node-jobs"]`).textContent();
        return shown === `${node.active_jobs}/${node.concurrency}`;
      }, POLL)
      .toBe(true);
    await shot('mesh');
  });
});
