import { columnStatistics, columnSummaries } from '@aimass/datasets';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The monitor keeps no state of its own: kill -9 it while predictions flow, start it again, and its
// totals (gRPC and the console's API) equal what the AIMASS_PREDICTIONS stream holds, read here by
// an independent consumer; the drift alert raised before the kill is listed again and not raised twice.

type Client = Record<string, (...args: unknown[]) => unknown>;
const MODEL = 'restart-e2e';
const FEATURES = 4;
const rng = new SeededRandom(11);

function normal(): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function rows(count: number, shift = 0): number[] {
  return Array.from({ length: count * FEATURES }, (_, i) => normal() + (i % FEATURES === 2 ? shift : 0));
}

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

let mesh: Mesh;
let registry: Client;
let inference: Client;
let nc: NatsConnection;
const alerts: Array<{ type: string; data: { alert_id: string } }> = [];

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('monitor-restart-e2e'),
    services: ['registry', 'inference', 'monitor'],
    extraEnv: {
      AIMASS_LOG_LEVEL: 'warn',
      AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '200',
      AIMASS_MONITOR_DRIFT_WINDOW_ROWS: '500',
      AIMASS_INFERENCE_SKETCH_ROWS_PER_SECOND: '100000',
      AIMASS_INFERENCE_SKETCH_VALUES_PER_SECOND: '100000000',
    },
  });
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  nc = await connect({ servers: mesh.env.AIMASS_NATS_URL! });
  nc.subscribe('aimass.events.monitor.alert.>', { callback: (_e, m) => void alerts.push(m.json()) });
  await nc.flush();

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
  const reference = Float32Array.from(rows(5000));
  await call(registry, 'SetReferenceStatistics', {
    model: MODEL,
    version: 1,
    statistics: {
      sample_count: 5000,
      computed_at: new Date().toISOString(),
      features: columnSummaries(
        columnStatistics(reference, 5000, FEATURES),
        Array.from({ length: FEATURES }, (_, f) => `f${f}`),
      ),
    },
  });
}, 180_000);

afterAll(async () => {
  await nc?.drain();
  for (const c of [registry, inference]) (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

async function predict(count: number, shift = 0): Promise<void> {
  await call(inference, 'ModelInfer', {
    model_name: MODEL,
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [count, FEATURES],
        contents: { fp32_contents: rows(count, shift) },
      },
    ],
  });
}

/** Requests per model version in every summary the stream holds, counted once per summary id. */
async function streamTotals(): Promise<number> {
  const consumer = await jetstream(nc).consumers.get('AIMASS_PREDICTIONS', {
    deliver_policy: DeliverPolicy.All,
  });
  const pending = (await consumer.info(true)).num_pending;
  const seen = new Set<string>();
  let requests = 0;
  if (pending === 0) return 0;
  const messages = await consumer.fetch({ max_messages: pending, expires: 5_000 });
  for await (const m of messages) {
    const e = m.json<{ id: string; data: { windows: Array<{ model: string; requests: number }> } }>();
    if (!seen.has(e.id)) {
      seen.add(e.id);
      for (const w of e.data.windows) if (w.model === MODEL) requests += w.requests;
    }
    if (m.info.pending === 0) break;
  }
  return requests;
}

async function monitorTotals(): Promise<{ grpc: number; console: number }> {
  const monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!) as unknown as Client;
  try {
    const { stats } = await call<{ stats: Array<{ requests: string }> }>(monitor, 'GetModelStats', {
      model: MODEL,
    });
    const page = (await (
      await fetch(`${mesh.env.AIMASS_MONITOR_HTTP}/api/models?model=${MODEL}`)
    ).json()) as {
      stats: Array<{ requests: number }>;
    };
    return { grpc: Number(stats[0]?.requests ?? 0), console: Number(page.stats[0]?.requests ?? 0) };
  } finally {
    (monitor as unknown as { close(): void }).close();
  }
}

describe('monitor restart', () => {
  it('rebuilds its totals and alerts from the streams after kill -9 during traffic', async () => {
    // One drift alert before the kill.
    for (let i = 0; i < 20; i++) await predict(50, 1);
    await eventually('the drift alert', async () => (alerts.length > 0 ? true : undefined));
    const raised = alerts[0]!.data.alert_id;

    // Traffic in the background; the monitor is killed in the middle of it and started again.
    let stop = false;
    let sent = 0;
    const traffic = (async () => {
      while (!stop) {
        await predict(10);
        sent += 1;
      }
    })();
    await new Promise((r) => setTimeout(r, 1_500));
    mesh.services.get('monitor')!.child.signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    await mesh.restartService('monitor');
    await new Promise((r) => setTimeout(r, 1_500));
    stop = true;
    await traffic;
    expect(sent).toBeGreaterThan(0);

    // Every request became a summary on the stream, and the restarted monitor counts exactly those.
    const expected = 20 + sent; // requests, not rows
    await eventually('all summaries stored', async () =>
      (await streamTotals()) === expected ? true : undefined,
    );
    const totals = await eventually(`monitor totals of ${expected}`, async () => {
      const t = await monitorTotals();
      return t.grpc === expected && t.console === expected ? t : undefined;
    });
    expect(totals).toEqual({ grpc: expected, console: expected });

    // The alert raised before the kill is listed again, and the replay did not raise it twice.
    const monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!) as unknown as Client;
    const listed = await call<{ alerts: Array<{ id: string; type: string }> }>(monitor, 'ListAlerts', {
      model: MODEL,
    });
    (monitor as unknown as { close(): void }).close();
    expect(listed.alerts.map((a) => a.id)).toContain(raised);
    expect(alerts.filter((a) => a.data.alert_id === raised)).toHaveLength(1);
    expect(new Set(alerts.map((a) => a.data.alert_id)).size).toBe(alerts.length);
  }, 120_000);
});
