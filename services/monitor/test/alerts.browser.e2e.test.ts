import { columnStatistics, columnSummaries } from '@aimass/datasets';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { eventually, makeScratchDir, repoRoot, startMesh, type Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The Data view's live side and the alert actions in Debian's Chromium, against registry, inference
// and monitor processes on a real nats-server and S3 endpoint: a version with reference statistics
// gets in-distribution then drifted traffic; the Data view shows the numbers the API gives; an alert
// is acknowledged and the model silenced from the console, checked over gRPC; a silenced alert is
// listed but not published on NATS, and both survive a restart of the monitor. Screenshots go to
// test-artifacts/console/.

type Client = Record<string, (...args: unknown[]) => unknown>;
const ARTIFACTS = path.join(repoRoot(), 'test-artifacts', 'console');
const MODEL = 'alerts-e2e';
const FEATURES = 4;
const rng = new SeededRandom(9);
const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
const rows = (count: number, shift = 0) =>
  Float32Array.from({ length: count * FEATURES }, (_, i) => normal() + (i % FEATURES === 2 ? shift : 0));

interface Alert {
  id: string;
  type: string;
  acknowledged: boolean;
  acknowledged_by: string;
  acknowledged_note: string;
  silenced: boolean;
  silence_id: string;
}

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

let mesh: Mesh;
let registry: Client;
let inference: Client;
let monitor: Client;
let nc: NatsConnection;
let subscription: Subscription;
let browser: Browser;
let page: Page;
let http: string;
const published: { type: string; data: { alert_id: string } }[] = [];

async function traffic(total: number, shift: number): Promise<void> {
  for (let sent = 0; sent < total; sent += 50)
    await call(inference, 'ModelInfer', {
      model_name: MODEL,
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [50, FEATURES],
          contents: { fp32_contents: [...rows(50, shift)] },
        },
      ],
    });
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(`${http}${url}`);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

const listAlerts = () => call<{ alerts: Alert[] }>(monitor, 'ListAlerts', { model: MODEL });
const POLL = { timeout: 20_000 };

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mesh = await startMesh({
    stateDir: makeScratchDir('monitor-alerts-browser'),
    services: ['registry', 'inference', 'monitor'],
    extraEnv: {
      AIMASS_LOG_LEVEL: 'warn',
      AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '200',
      AIMASS_MONITOR_DRIFT_WINDOW_ROWS: '500',
      AIMASS_INFERENCE_SKETCH_ROWS_PER_SECOND: '100000',
      AIMASS_INFERENCE_SKETCH_VALUES_PER_SECOND: '100000000',
    },
  });
  http = mesh.env.AIMASS_MONITOR_HTTP!;
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!);
  nc = await connect({ servers: mesh.env.AIMASS_NATS_URL! });
  subscription = nc.subscribe('aimass.events.monitor.alert.>');
  void (async () => {
    for await (const m of subscription) published.push(m.json());
  })();
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
  await call(registry, 'SetReferenceStatistics', {
    model: MODEL,
    version: 1,
    statistics: {
      sample_count: 5000,
      computed_at: new Date().toISOString(),
      features: columnSummaries(
        columnStatistics(rows(5000), 5000, FEATURES),
        Array.from({ length: FEATURES }, (_, f) => `f${f}`),
      ),
    },
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  subscription?.unsubscribe();
  await nc?.drain();
  for (const c of [registry, inference, monitor]) (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

interface Live {
  drift_windows: number;
  features: {
    name: string;
    psi: { y: number[] };
    ks_p_value: { y: number[] };
    live: { rows: number } | null;
  }[];
  alerts: Alert[];
}

describe('the Data view and the alert actions in Chromium', () => {
  it('Data: reference against live, scores over time and the alert, as the API gives them', async () => {
    await traffic(1000, 0);
    // A summary interval apart, so the drifted rows start a window of their own.
    await new Promise((r) => setTimeout(r, 600));
    await traffic(1000, 2);
    const live = await eventually('a drift alert on the Data endpoint', async () => {
      const body = await api<Live>(`/api/console/data/${MODEL}/1/live`);
      if (body.alerts.length > 0 && body.drift_windows >= 2) return body;
      throw new Error(`${body.drift_windows} drift windows, ${body.alerts.length} alerts`);
    });
    await page.goto(`${http}/#/data/${MODEL}/1`);
    // Numbers match the API (which may have moved on by a window: poll both together).
    await expect
      .poll(async () => {
        const now = await api<Live>(`/api/console/data/${MODEL}/1/live`);
        return (
          (await page.locator('[data-testid="drift-windows"]').textContent()) === String(now.drift_windows)
        );
      }, POLL)
      .toBe(true);
    expect(Number(await page.locator('[data-testid="alert-count"]').textContent())).toBeGreaterThanOrEqual(1);
    const f2 = live.features.find((f) => f.name === 'f2')!;
    expect(f2.psi.y.at(-1)!).toBeGreaterThan(1);
    const shownPsi = Number(
      await page.locator('[data-feature="f2"] [data-testid="feature-psi"]').textContent(),
    );
    const latest = await api<Live>(`/api/console/data/${MODEL}/1/live`);
    expect(shownPsi).toBeCloseTo(latest.features.find((f) => f.name === 'f2')!.psi.y.at(-1)!, 2);
    expect(
      Number(await page.locator('[data-feature="f0"] [data-testid="feature-psi"]').textContent()),
    ).toBeLessThan(0.5);
    // The alerts are marked on the score charts' time axis.
    await expect
      .poll(() => page.locator('[data-testid="psi-chart"]').getAttribute('data-marks').then(Number), POLL)
      .toBe(latest.alerts.length);
    expect(
      Number(await page.locator('[data-testid="psi-chart"]').getAttribute('data-points')),
    ).toBeGreaterThan(0);
    await shot('data-live');
  });

  it('acknowledges an alert and silences the model from the console; gRPC sees both', async () => {
    const [alert] = (await listAlerts()).alerts;
    expect(alert).toMatchObject({ acknowledged: false, silenced: false });
    await page.fill('[data-testid="actor"]', 'oncall-ana');
    const item = page.locator(`[data-alert="${alert!.id}"]`);
    await item.locator('[data-testid="ack-note"]').fill('shifted f2, checking the feed');
    await item.locator('[data-testid="ack"]').click();
    await expect.poll(() => item.locator('[data-testid="alert-acknowledged"]').count(), POLL).toBe(1);
    const acked = (await listAlerts()).alerts.find((a) => a.id === alert!.id)!;
    expect(acked).toMatchObject({
      acknowledged: true,
      acknowledged_by: 'oncall-ana',
      acknowledged_note: 'shifted f2, checking the feed',
    });

    await page.fill('[data-testid="silence-reason"]', 'feed migration');
    await page.fill('[data-testid="silence-minutes"]', '30');
    await page.click('[data-testid="silence-submit"]');
    await expect.poll(() => page.locator('[data-testid="silence"]').count(), POLL).toBe(1);
    const { silences } = await call<{
      silences: { id: string; model: string; version: string; reason: string; by: string; active: boolean }[];
    }>(monitor, 'ListSilences', { model: MODEL });
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({
      model: MODEL,
      version: '1',
      reason: 'feed migration',
      by: 'oncall-ana',
      active: true,
    });

    // Drifted traffic under the silence: listed (silenced), not published.
    const before = (await listAlerts()).alerts.length;
    const publishedBefore = published.length;
    await traffic(1000, 2);
    const silenced = await eventually('a silenced alert', async () => {
      const { alerts } = await listAlerts();
      return alerts.length > before ? alerts[0] : undefined;
    });
    expect(silenced).toMatchObject({ silenced: true, silence_id: silences[0]!.id });
    await new Promise((r) => setTimeout(r, 1000));
    expect(published.slice(publishedBefore).map((p) => p.data.alert_id)).not.toContain(silenced.id);
    await expect
      .poll(() => page.locator('[data-testid="alert-silenced"]').count(), POLL)
      .toBeGreaterThanOrEqual(1);
    await shot('data-alerts');

    // Acknowledgements and silences come back after a restart.
    const listed = (await listAlerts()).alerts;
    await mesh.restartService('monitor');
    const restored = await eventually('the monitor back with its alerts', async () => {
      const { alerts } = await listAlerts();
      return alerts.length === listed.length ? alerts : undefined;
    });
    expect(restored.map((a) => [a.id, a.acknowledged, a.silenced])).toEqual(
      listed.map((a) => [a.id, a.acknowledged, a.silenced]),
    );
    const again = await call<{ silences: { id: string }[] }>(monitor, 'ListSilences', { model: MODEL });
    expect(again.silences.map((s) => s.id)).toEqual([silences[0]!.id]);
    expect(published.map((p) => p.data.alert_id)).not.toContain(silenced.id);
  }, 90_000);

  it.each([
    ['AcknowledgeAlert', { id: 'no-such-alert', by: 'x' }, 5, 'no alert with id no-such-alert'],
    ['AcknowledgeAlert', { id: '', by: 'x' }, 3, 'id is required'],
    ['SilenceAlerts', { model: MODEL, duration_seconds: 0, reason: 'r', by: 'x' }, 3, 'duration_seconds'],
    [
      'SilenceAlerts',
      { model: MODEL, duration_seconds: 400 * 86400, reason: 'r', by: 'x' },
      3,
      'duration_seconds',
    ],
    ['SilenceAlerts', { model: MODEL, duration_seconds: 60, reason: '', by: 'x' }, 3, 'reason'],
    [
      'SilenceAlerts',
      { model: MODEL, type: 'monitor.alert.x', duration_seconds: 60, reason: 'r', by: 'x' },
      3,
      'type',
    ],
  ])('%s %j answers code %i naming %s', async (method, request, code, message) => {
    const err = (await call(monitor, method, request).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(code);
    expect(err.details).toContain(message);
  });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
