import { columnStatistics, columnSummaries } from '@aimass/datasets';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Drift end to end: registry, inference and monitor processes on a real nats-server and S3 endpoint.
// A version with reference statistics is served; in-distribution traffic raises nothing, traffic with
// one feature shifted by 1 sigma raises monitor.alert.drift, seen by an independent NATS subscriber
// and listed by ListAlerts.

type Client = Record<string, (...args: unknown[]) => unknown>;
const MODEL = 'drift-e2e';
const FEATURES = 4;
const rng = new SeededRandom(5);

function normal(): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function rows(count: number, shift = 0): Float32Array {
  return Float32Array.from(
    { length: count * FEATURES },
    (_, i) => normal() + (i % FEATURES === 2 ? shift : 0),
  );
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
let alerts: Subscription;
const received: Array<{ type: string; data: { model: string; drifted_features: string[] } }> = [];

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('monitor-drift-e2e'),
    services: ['registry', 'inference', 'monitor'],
    extraEnv: {
      AIMASS_LOG_LEVEL: 'warn',
      AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '200',
      AIMASS_MONITOR_DRIFT_WINDOW_ROWS: '500',
      // Every row is sketched: the test sends a few thousand rows in a few seconds.
      AIMASS_INFERENCE_SKETCH_ROWS_PER_SECOND: '100000',
      AIMASS_INFERENCE_SKETCH_VALUES_PER_SECOND: '100000000',
    },
  });
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!);
  nc = await connect({ servers: mesh.env.AIMASS_NATS_URL! });
  alerts = nc.subscribe('aimass.events.monitor.alert.>');
  void (async () => {
    for await (const m of alerts) received.push(m.json());
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
  const reference = rows(5000);
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
  alerts?.unsubscribe();
  await nc?.drain();
  for (const c of [registry, inference, monitor]) (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

async function traffic(total: number, shift: number): Promise<void> {
  for (let sent = 0; sent < total; sent += 50) {
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
}

describe('drift alerts', () => {
  it('in-distribution traffic raises no alert', async () => {
    await traffic(2000, 0);
    // Four windows close; give the summaries and the monitor time to see them.
    await new Promise((r) => setTimeout(r, 3000));
    expect(received).toEqual([]);
    // Not for want of windows: the monitor measured them and found no drift.
    const metrics = await (await fetch(`${mesh.env.AIMASS_MONITOR_HTTP}/metrics`)).text();
    const detected = metrics.split('\n').filter((l) => l.startsWith('aimass_monitor_drift'));
    expect(detected.join('\n')).toMatch(
      new RegExp(`aimass_monitor_drift_detected\\{model="${MODEL}",version="1"[^}]*\\} 0`),
    );
    const listed = await call<{ alerts: unknown[] }>(monitor, 'ListAlerts', { model: MODEL });
    expect(listed.alerts).toEqual([]);
  }, 120_000);

  it('traffic with one feature shifted by 1 sigma raises monitor.alert.drift naming it', async () => {
    await traffic(1000, 1);
    const alert = await eventually('a drift alert', () =>
      received.find((e) => e.type === 'monitor.alert.drift'),
    );
    expect(alert.data.model).toBe(MODEL);
    expect(alert.data.drifted_features).toContain('f2');
    const listed = await call<{ alerts: Array<{ type: string; summary: string }> }>(monitor, 'ListAlerts', {
      model: MODEL,
    });
    expect(listed.alerts[0]?.type).toBe('monitor.alert.drift');
    expect(listed.alerts[0]?.summary).toContain(MODEL);
  }, 120_000);
});
