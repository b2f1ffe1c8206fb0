import type { tunerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { eventually, makeScratchDir, repoRoot, startMesh, type Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The Studies view and the Models view's batch-size chart in Debian's Chromium, against registry,
// tuner, inference and monitor processes with authentication on: an ask/tell study gets trials
// from this test over the tuner's gRPC API (Ask, Report, Tell; the median pruner stops the worse
// ones), and the page shows the counts, the best value and the importance ordering the tuner
// gives, then follows a newly told trial without a reload. Screenshots go to test-artifacts/console/.

type Client = Record<string, (...args: unknown[]) => unknown>;
const ARTIFACTS = path.join(repoRoot(), 'test-artifacts', 'console');
const MODEL = 'studies-batch';
const FEATURES = 4;
const POLL = { timeout: 20_000 };

let mesh: Mesh;
let tuner: Client;
let registry: Client;
let inference: Client;
let browser: Browser;
let page: Page;
let http: string;

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(`${http}${url}`);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The console's number format (web/src/format.ts num) for the values this test shows. */
const shown = (v: number) =>
  Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(4)));

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mesh = await startMesh({
    stateDir: makeScratchDir('monitor-studies-browser'),
    services: ['registry', 'tuner', 'inference', 'monitor'],
    auth: true,
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '300' },
  });
  http = mesh.env.AIMASS_MONITOR_HTTP!;
  const token = await mesh.auth!.mint('studies-e2e', ['tune', 'models:read', 'models:write', 'infer']);
  tuner = createMeshClient('tuner', mesh.env.AIMASS_TUNER_GRPC!, {}, token);
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!, {}, token);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!, {}, token);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const c of [tuner, registry, inference]) (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

// The objective depends mostly on x, a little on y and not on the choice of c.
const objective = (p: { x: number; y: number }) => (p.x - 2) ** 2 + 0.05 * p.y + 1;

describe('the Studies view in Chromium', () => {
  it('shows the trials, the best value and the importance the tuner gives, and follows a new trial live', async () => {
    const ask = (id: string) => call<tunerv1.Trial__Output>(tuner, 'Ask', { study_id: id });
    const tell = (id: string, trial: number, state: string, value = 0) =>
      call<tunerv1.Trial__Output>(tuner, 'Tell', { study_id: id, trial, state, value, reason: '' });
    const getStudy = (id: string) => call<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: id });
    const { study_id: id } = await call<tunerv1.Study__Output>(tuner, 'CreateStudy', {
      study_id: 'console-e2e',
      spec_json: JSON.stringify({
        name: 'console-e2e',
        space: {
          x: { type: 'float', low: -5, high: 10 },
          y: { type: 'float', low: 0, high: 15 },
          c: { type: 'categorical', choices: ['a', 'b', 'c'] },
        },
        sampler: { type: 'random', seed: 7 },
        pruner: { type: 'median', nStartupTrials: 0, nWarmupSteps: 0 },
        budget: { trials: 40 },
      }),
    });
    // Each trial reports its objective at step 1; the median pruner stops those above the median.
    for (let i = 0; i < 14; i++) {
      const trial = await ask(id);
      const value = objective(JSON.parse(trial.params_json) as { x: number; y: number });
      const { should_prune } = await call<tunerv1.ReportResponse__Output>(tuner, 'Report', {
        study_id: id,
        trial: trial.number,
        step: 1,
        value,
      });
      if (should_prune) await tell(id, trial.number, 'PRUNED');
      else await tell(id, trial.number, 'COMPLETE', value);
    }
    const study = await getStudy(id);
    expect(study.pruned).toBeGreaterThan(0);
    expect(study.complete).toBeGreaterThanOrEqual(2);
    const importance = await call<tunerv1.ImportanceResponse__Output>(tuner, 'GetImportance', {
      study_id: id,
    });

    await page.goto(`${http}/#/studies/${id}`);
    const row = page.locator(`[data-study="${id}"]`);
    await expect.poll(() => row.locator('[data-testid="study-trials"]').textContent(), POLL).toBe('14/40');
    expect(await row.locator('[data-testid="study-best"]').textContent()).toBe(
      shown(study.best_trial!.value),
    );
    expect(await page.locator('[data-testid="detail-trials"]').textContent()).toBe('14');
    expect(await page.locator('[data-testid="detail-pruned"]').textContent()).toBe(String(study.pruned));
    expect(await page.locator('[data-testid="detail-best"]').textContent()).toBe(
      shown(study.best_trial!.value),
    );
    // Importance: the tuner's ordering and shares; x explains most of the objective.
    const rows = page.locator('[data-testid="importance-row"]');
    await expect.poll(() => rows.count(), POLL).toBe(3);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-param')))).toEqual(
      importance.importances.map((i) => i.name),
    );
    expect(importance.importances[0]!.name).toBe('x');
    expect(await rows.locator('[data-testid="importance-share"]').allTextContents()).toEqual(
      importance.importances.map((i) => `${(i.importance * 100).toFixed(1)} %`),
    );
    // One point per trial and per curve (complete, pruned, best so far); one line per ended trial
    // across x, y, c and the objective.
    const trialsChart = page.locator('[data-testid="chart-trials"]');
    const parallel = page.locator('[data-testid="chart-parallel"]');
    expect(await trialsChart.getAttribute('data-points')).toBe(String(3 * 14));
    expect(await parallel.getAttribute('data-lines')).toBe(String(study.complete + study.pruned));
    expect(await parallel.getAttribute('data-axes')).toBe('4');
    await shot('studies');

    // A new best trial, told while the page is open: the page follows without reloading.
    await page.evaluate(() => ((globalThis as unknown as { mark: number }).mark = 1));
    const next = await ask(id);
    await expect.poll(() => trialsChart.getAttribute('data-points'), POLL).toBe(String(3 * 15));
    await tell(id, next.number, 'COMPLETE', 0.5);
    await expect.poll(() => page.locator('[data-testid="detail-best"]').textContent(), POLL).toBe('0.5');
    await expect
      .poll(() => parallel.getAttribute('data-lines'), POLL)
      .toBe(String(study.complete + study.pruned + 1));
    expect(await row.locator('[data-testid="study-trials"]').textContent()).toBe('15/40');
    expect(await page.evaluate(() => (globalThis as unknown as { mark?: number }).mark)).toBe(1);
    const after = await api<{ study: { best_value: number; best_trial: number } }>(
      `/api/console/studies/${id}`,
    );
    expect(after.study).toMatchObject({ best_value: 0.5, best_trial: next.number });
    await shot('studies-live');
  });

  it('reads the tuner with studies:read, as the monitor does, which drives no study', async () => {
    const reader = createMeshClient<Client>(
      'tuner',
      mesh.env.AIMASS_TUNER_GRPC!,
      {},
      await mesh.auth!.mint('reader', ['studies:read']),
    );
    try {
      const study = await call<tunerv1.Study__Output>(reader, 'GetStudy', { study_id: 'console-e2e' });
      expect(study.trials).toHaveLength(15);
      const err = (await call(reader, 'Ask', { study_id: 'console-e2e' }).catch(
        (e: unknown) => e,
      )) as ServiceError;
      expect(err.code).toBe(7);
      expect(err.details).toContain('needs the scope tune');
    } finally {
      (reader as unknown as { close(): void }).close();
    }
  });

  it('refuses a malformed study id with 400 and an unknown one with 404', async () => {
    expect((await fetch(`${http}/api/console/studies/no%20such`)).status).toBe(400);
    expect((await fetch(`${http}/api/console/studies/no-such-study`)).status).toBe(404);
  });
});

describe('the Models view batch-size chart in Chromium', () => {
  it('shows the mean batch size the API gives, per version, live', async () => {
    const bytes = exportDenseNetwork(
      randomDenseNetwork({ inputDim: FEATURES, hidden: [8], outputDim: 2, seed: 3, activation: 'relu' }),
    );
    await new Promise<void>((resolve, reject) => {
      const push = registry.PushVersion!((err: ServiceError | null) => (err ? reject(err) : resolve())) as {
        write(m: unknown): void;
        end(): void;
      };
      push.write({ header: { model: MODEL, format: 'onnx', alias: '', tags: {} } });
      push.write({ chunk: bytes });
      push.end();
    });
    const predict = (rows: number) =>
      call(inference, 'ModelInfer', {
        model_name: MODEL,
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [rows, FEATURES],
            contents: { fp32_contents: Array.from({ length: rows * FEATURES }, (_, j) => Math.sin(j)) },
          },
        ],
      });
    // One request at a time over a few summary windows: every execution runs exactly its request's rows.
    const oneByOne = async (rows: number) => {
      for (let i = 0; i < 8; i++) {
        await predict(rows);
        await new Promise((r) => setTimeout(r, 120));
      }
    };
    type Series = { versions: { version: string; series: { batch_size: { y: (number | null)[] } } }[] };
    const latest = async () => {
      const { versions } = await api<Series>(`/api/console/models/${MODEL}/series`);
      return versions[0]?.series.batch_size.y.findLast((y) => y !== null) ?? undefined;
    };
    const text = page.locator('[data-testid="batch-latest"]');
    const chart = page.locator('[data-testid="chart-batch-size"]');

    await oneByOne(4);
    expect(
      await eventually('a batch size of 4', async () => ((await latest()) === 4 ? 4 : undefined), {
        timeoutMs: 20_000,
      }),
    ).toBe(4);
    await page.goto(`${http}/#/models/${MODEL}`);
    await expect.poll(() => text.textContent(), POLL).toBe('latest mean batch size: v1 4');
    const before = Number(await chart.getAttribute('data-points'));
    expect(before).toBeGreaterThan(0);
    await oneByOne(9);
    await expect.poll(() => text.textContent(), POLL).toBe('latest mean batch size: v1 9');
    expect(await latest()).toBe(9);
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(before);

    // Eight callers at once: the dynamic batcher joins their 2-row requests. Once the traffic's last
    // window is in, the page shows the mean the API has, whatever the batcher made of it.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 12; i++) await predict(2);
      }),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const joined = (await latest())!;
    expect(joined).toBeGreaterThanOrEqual(2);
    await expect.poll(() => text.textContent(), POLL).toBe(`latest mean batch size: v1 ${shown(joined)}`);
    const { stats } = await api<{ stats: { requests: number }[] }>(`/api/models?model=${MODEL}`);
    expect(stats[0]!.requests).toBe(8 + 8 + 96);
    await expect
      .poll(() => page.locator('[data-version="1"] [data-testid="version-requests"]').textContent(), POLL)
      .toBe('112');
    await shot('model-batch-size');
  });
});
