import type { oip, registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, repoRoot, startMesh, type Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The Hub view in Debian's Chromium against registry, inference and monitor processes with
// authentication on: models with cards are found by tag and license; a model page shows its card
// rendered (HTML in the card shown as text, never run), lineage and the training spec; a download
// gives the registry's exact bytes; "try it" answers what a direct ModelInfer answers; a post
// appears in a second page live; a star counts. Screenshots go to test-artifacts/console/.

type Client = Record<string, (...args: unknown[]) => unknown>;
const ARTIFACTS = path.join(repoRoot(), 'test-artifacts', 'console');
const MODEL = 'hub-e2e';
const FEATURES = 4;
const POLL = { timeout: 15_000 };
const TOKEN_KEY = 'aimass.console.token';

const CARD = `---
license: Apache-2.0
tags:
  - anomaly-detection
  - hub-e2e-tag
datasets:
  - sensors@3
intended_use: |
  Flag unusual sensor rows before they reach the billing job.
  Not for medical decisions.
---
# hub-e2e

An autoencoder over **four** sensor features.

## Training data

| feature | unit |
| --- | --- |
| temperature | °C |

<script>window.__pwned = 1</script>
<img src="x" onerror="window.__pwned = 2">
[click](javascript:window.__pwned=3)
`;

let mesh: Mesh;
let registry: Client;
let inference: Client;
let browser: Browser;
let page: Page;
let http: string;
let token: string;

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function push(model: string, seed: number, lineage: object): Promise<registryv1.ModelVersion__Output> {
  const bytes = exportDenseNetwork(
    randomDenseNetwork({ inputDim: FEATURES, hidden: [8], outputDim: 2, seed, activation: 'relu' }),
  );
  return new Promise((resolve, reject) => {
    const stream = registry.PushVersion!((err: ServiceError | null, v: registryv1.ModelVersion__Output) =>
      err ? reject(err) : resolve(v),
    ) as { write(m: unknown): void; end(): void };
    stream.write({ header: { model, format: 'onnx', alias: 'production', tags: {}, lineage } });
    stream.write({ chunk: bytes });
    stream.end();
  });
}

async function openModel(p: Page): Promise<void> {
  await p.goto(`${http}/#/hub/${MODEL}`);
  await p.evaluate(([k, t]) => sessionStorage.setItem(k!, t!), [TOKEN_KEY, token]);
  await p.reload();
  await p.locator('[data-testid="card-body"]').waitFor();
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mesh = await startMesh({
    stateDir: makeScratchDir('monitor-hub-browser'),
    services: ['registry', 'inference', 'monitor'],
    auth: true,
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
  http = mesh.env.AIMASS_MONITOR_HTTP!;
  token = await mesh.auth!.mint('hub-e2e-user', ['models:read', 'models:write', 'infer']);
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!, {}, token);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!, {}, token);
  await call(registry, 'CreateModel', {
    name: MODEL,
    description: 'Sensor anomaly detector',
    owner: 'team-ml',
    framework: 'aimass-ae',
    tags: { 'aimass.family': 'ae' },
    model_card: CARD,
  });
  await call(registry, 'CreateModel', {
    name: 'hub-other',
    description: 'A mixture for fraud scores',
    owner: 'team-risk',
    tags: {},
    model_card: '---\nlicense: MIT\ntags: [fraud]\n---\nA GMM.\n',
  });
  await call(registry, 'CreateModel', {
    name: 'hub-private',
    description: 'Only for alice',
    owner: 'alice',
    tags: { 'hub.visibility': 'private' },
    model_card: '---\nlicense: MIT\ntags: [hub-e2e-tag]\n---\nPrivate.\n',
  });
  await push(MODEL, 3, {
    source_job_id: 'job-hub-1',
    dataset_digest: 'a'.repeat(64),
    hyperparameters: { epochs: '12', learning_rate: '0.001', 'architecture.hidden': '[8]' },
    metrics: { 'loss.final': 0.0123 },
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const c of [registry, inference]) (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

describe('the Hub view in Chromium', () => {
  it('finds models by tag and by license, and hides a private model from others', async () => {
    await page.goto(`${http}/#/hub`);
    const results = page.locator('[data-testid="hub-results"] > li');
    await expect.poll(() => results.count(), POLL).toBe(2);
    await page.locator('[data-testid="hub-tag"]').fill('hub-e2e-tag');
    await page.locator('[data-testid="hub-search"]').click();
    await expect
      .poll(() => results.evaluateAll((els) => els.map((e) => e.getAttribute('data-model'))), POLL)
      .toEqual([MODEL]);
    const hit = page.locator(`[data-model="${MODEL}"]`);
    expect(await hit.locator('[data-testid="result-license"]').textContent()).toBe('Apache-2.0');
    expect(await hit.textContent()).toContain('Flag unusual sensor rows before they reach the billing job.');
    expect(await hit.textContent()).not.toContain('Not for medical decisions');
    await shot(page, 'hub-search');

    await page.goto(`${http}/#/hub?license=MIT`);
    await expect
      .poll(() => results.evaluateAll((els) => els.map((e) => e.getAttribute('data-model'))), POLL)
      .toEqual(['hub-other']);
    await page.goto(`${http}/#/hub?family=ae&owner=team-ml&q=sensor`);
    await expect
      .poll(() => results.evaluateAll((els) => els.map((e) => e.getAttribute('data-model'))), POLL)
      .toEqual([MODEL]);

    // The private model: absent without a token, and for another subject; there for its owner.
    const names = async (auth?: string) => {
      const response = await fetch(`${http}/api/console/hub?tag=hub-e2e-tag`, {
        headers: auth ? { Authorization: `Bearer ${auth}` } : {},
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { models: { name: string }[] }).models.map((m) => m.name);
    };
    expect(await names()).toEqual([MODEL]);
    expect(await names(token)).toEqual([MODEL]);
    expect((await names(await mesh.auth!.mint('alice', ['models:read']))).sort()).toEqual([
      MODEL,
      'hub-private',
    ]);
    expect((await fetch(`${http}/api/console/hub/hub-private`)).status).toBe(404);
  });

  it('shows the card rendered, with its HTML as text, its metadata, lineage and training spec', async () => {
    await openModel(page);
    const body = page.locator('[data-testid="card-body"]');
    expect(await body.locator('h2').textContent()).toBe('Training data');
    expect(await body.locator('strong').first().textContent()).toBe('four');
    expect(await body.locator('table td').first().textContent()).toBe('temperature');
    // The script and the image are text, not elements; the javascript: link is not a link.
    expect(await body.locator('script, img').count()).toBe(0);
    expect(await body.textContent()).toContain('<script>window.__pwned = 1</script>');
    expect(await body.textContent()).toContain('<img src="x" onerror="window.__pwned = 2">');
    expect(await body.locator('a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();

    expect(await page.locator('[data-testid="meta-license"]').textContent()).toBe('Apache-2.0');
    expect(await page.locator('[data-testid="card-metadata"]').textContent()).toContain('sensors@3');
    const row = page.locator('[data-testid="hub-versions"] tr[data-version="1"]');
    expect(await row.textContent()).toContain('production');
    expect(await row.textContent()).toContain('job job-hub-1');
    expect(await row.textContent()).toContain(`data ${'a'.repeat(12)}`);
    const source = page.locator('[data-testid="hub-source"]');
    expect(await source.textContent()).toContain('learning_rate0.001');
    expect(await source.textContent()).toContain('epochs12');
    await shot(page, 'hub-model');
  });

  it('downloads the exact artifact bytes and counts the download', async () => {
    const version = await call<registryv1.ModelVersion__Output>(registry, 'GetVersion', {
      model: MODEL,
      version: '1',
    });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('tr[data-version="1"] [data-testid="download"]').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${MODEL}-v1.onnx`);
    const bytes = fs.readFileSync((await download.path())!);
    expect(bytes.length).toBe(Number(version.size_bytes));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(version.sha256);
    await expect
      .poll(() => page.locator('[data-testid="hub-downloads"]').textContent(), POLL)
      .toBe('⤓ 1 download');
    await expect
      .poll(() => page.locator('tr[data-version="1"] [data-testid="version-downloads"]').textContent(), POLL)
      .toBe('1');
  });

  it('predicts with "try it" what a direct ModelInfer gives', async () => {
    const row = [0.5, -1, 2, 0.25];
    await page.locator('[data-testid="try-row"]').fill(row.join(', '));
    await page.locator('[data-testid="try-run"]').click();
    const cell = page.locator('[data-testid="try-output-data"]').first();
    await cell.waitFor(POLL);
    const shown = JSON.parse((await cell.getAttribute('data-values'))!) as number[];
    const direct = await call<oip.ModelInferResponse__Output>(inference, 'ModelInfer', {
      model_name: MODEL,
      model_version: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, FEATURES], contents: { fp32_contents: row } }],
    });
    const raw = direct.raw_output_contents[0]!;
    const expected = Array.from(
      new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)),
    );
    expect(shown).toEqual(expected);
    expect(shown).toHaveLength(2);
    await shot(page, 'hub-try');
  });

  it('shows a new post live in a second page, and counts a star', async () => {
    const second = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await openModel(second);
      await page.locator('[data-testid="post-text"]').fill('**Works well** on our data. <b>not bold</b>');
      await page.locator('[data-testid="post-submit"]').click();
      for (const p of [page, second]) {
        const post = p.locator('[data-testid="post"]');
        await expect.poll(() => post.count(), POLL).toBe(1);
        expect(await post.locator('[data-testid="post-author"]').textContent()).toBe('hub-e2e-user');
        expect(await post.locator('[data-testid="post-body"] strong').textContent()).toBe('Works well');
        expect(await post.locator('[data-testid="post-body"] b').count()).toBe(0);
        expect(await post.locator('[data-testid="post-body"]').textContent()).toContain('<b>not bold</b>');
      }

      expect(await page.locator('[data-testid="stars"]').textContent()).toBe('0');
      await page.locator('[data-testid="star"]').click();
      await expect.poll(() => page.locator('[data-testid="stars"]').textContent(), POLL).toBe('1');
      await openModel(second);
      expect(await second.locator('[data-testid="stars"]').textContent()).toBe('1');
      await shot(second, 'hub-discussion');
    } finally {
      await second.close();
    }
    await page.goto(`${http}/#/hub`);
    await expect
      .poll(() => page.locator(`[data-model="${MODEL}"] [data-testid="result-stars"]`).textContent(), POLL)
      .toBe('★ 1');
  });

  it('keeps stars, downloads and posts in KV across a monitor restart', async () => {
    await mesh.restartService('monitor');
    const response = await fetch(`${http}/api/console/hub/${MODEL}`);
    expect(response.status).toBe(200);
    const after = (await response.json()) as {
      stars: number;
      downloads: number;
      versions: { downloads: number }[];
      posts: { author: string; text: string }[];
    };
    expect(after).toMatchObject({ stars: 1, downloads: 1, versions: [{ downloads: 1 }] });
    expect(after.posts).toEqual([
      expect.objectContaining({
        author: 'hub-e2e-user',
        text: '**Works well** on our data. <b>not bold</b>',
      }),
    ]);
  });

  it('refuses writes without a token (401) and bad requests with 400 naming the field', async () => {
    const post = (p: string, body: unknown, auth = true) =>
      fetch(`${http}/api/console/hub/${p}`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(auth ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    expect((await post(`${MODEL}/star`, {}, false)).status).toBe(401);
    expect((await fetch(`${http}/api/console/hub/${MODEL}/versions/1/download`)).status).toBe(401);
    expect((await post(`${MODEL}/posts`, { text: 'hi' }, false)).status).toBe(401);
    const cases: [string, unknown, number, string][] = [
      [`${MODEL}/posts`, { text: '' }, 400, 'text'],
      [`${MODEL}/star`, { starred: 'yes' }, 400, 'starred'],
      ['no-such-model/posts', { text: 'hi' }, 404, 'no-such-model'],
      [
        `${MODEL}/try`,
        { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2] }] },
        400,
        'holds 4 values but data has 2',
      ],
      [
        `${MODEL}/try`,
        { inputs: [{ name: 'input', datatype: 'FP99', shape: [1], data: [1] }] },
        400,
        'datatype',
      ],
      [`${MODEL}/try`, { inputs: [] }, 400, 'inputs'],
    ];
    for (const [p, body, status, text] of cases) {
      const response = await post(p, body);
      expect(response.status, p).toBe(status);
      expect(JSON.stringify(await response.json()), p).toContain(text);
    }
    // Try it goes to inference with the visitor's token: none with authentication on is refused there.
    const anonymous = await post(
      `${MODEL}/try`,
      { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] },
      false,
    );
    expect(anonymous.status).toBe(401);
    const download = (p: string) =>
      fetch(`${http}/api/console/hub/${p}`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await download(`${MODEL}/versions/9/download`)).status).toBe(404);
    expect((await download(`${MODEL}/versions/latest/download`)).status).toBe(400);
    expect((await fetch(`${http}/api/console/hub/bad.name`)).status).toBe(400);
  });
});
