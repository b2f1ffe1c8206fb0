import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Anomaly scoring end to end: registry, trainer, inference and monitor processes on a real
// nats-server and S3 endpoint. The trainer fits a GMM scorer on a pushed data set; a served model
// names it as its detector with the monitor.detector tag (on the model, set with UpdateModel).
// In-distribution traffic raises nothing; traffic with outliers raises monitor.alert.anomaly, seen by
// an independent NATS subscriber and listed by ListAlerts. Tags that name nothing usable serve
// normally, raise nothing and are counted as refused; a malformed tag is refused by the registry.
// The trained GMM, served itself, is watched for drift against the reference statistics the trainer
// registered with it: its training distribution raises nothing, a shifted feature monitor.alert.drift.

type Client = Record<string, (...args: unknown[]) => unknown>;
const DETECTOR = 'anomaly-e2e-gmm';
const SERVED = 'anomaly-e2e-served';
const FEATURES = 4;
const rng = new SeededRandom(21);

function normal(): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Rows of two clusters (f0 around −2 or +2); a share `outliers` of them moved 8 σ on every feature;
 * `drift` moves feature f2 of every row by that many σ.
 */
function rows(count: number, outliers = 0, width = FEATURES, drift = 0): Float32Array {
  const out = new Float32Array(count * width);
  for (let r = 0; r < count; r++) {
    const centre = rng.next() < 0.5 ? -2 : 2;
    const shift = rng.next() < outliers ? 8 : 0;
    for (let f = 0; f < width; f++)
      out[r * width + f] = normal() + (f === 0 ? centre : 0) + (f === 2 ? drift : 0) + shift;
  }
  return out;
}

function call<T>(client: Client, method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

function stream<T>(client: Client, method: string, messages: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const s = client[method]!((err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))) as {
      write(m: unknown): void;
      end(): void;
    };
    for (const m of messages) s.write(m);
    s.end();
  });
}

function pushModel(name: string, width: number, tags: Record<string, string> = {}): Promise<unknown> {
  const bytes = exportDenseNetwork(
    randomDenseNetwork({ inputDim: width, hidden: [8], outputDim: 2, seed: 3, activation: 'relu' }),
  );
  return stream(registry, 'PushVersion', [
    { header: { model: name, format: 'onnx', alias: '', tags } },
    { chunk: bytes },
  ]);
}

let mesh: Mesh;
let registry: Client;
let trainer: Client;
let inference: Client;
let monitor: Client;
let nc: NatsConnection;
let alerts: Subscription;
const received: Array<{ type: string; data: Record<string, unknown> & { model: string } }> = [];
let threshold: number;

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('monitor-anomaly-e2e'),
    services: ['registry', 'trainer', 'inference', 'monitor'],
    extraEnv: {
      AIMASS_LOG_LEVEL: 'warn',
      AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '200',
      AIMASS_INFERENCE_DETECTOR_SAMPLE_RATE: '0.5',
      AIMASS_MONITOR_ANOMALY_WINDOW_ROWS: '1000',
      AIMASS_MONITOR_DRIFT_WINDOW_ROWS: '500',
      // Every row is sketched (drift): the test sends a few thousand rows in a few seconds.
      AIMASS_INFERENCE_SKETCH_ROWS_PER_SECOND: '100000',
      AIMASS_INFERENCE_SKETCH_VALUES_PER_SECOND: '100000000',
    },
  });
  registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
  trainer = createMeshClient('trainer', mesh.env.AIMASS_TRAINER_GRPC!);
  inference = createMeshClient('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  monitor = createMeshClient('monitor', mesh.env.AIMASS_MONITOR_GRPC!);
  nc = await connect({ servers: mesh.env.AIMASS_NATS_URL! });
  alerts = nc.subscribe('aimass.events.monitor.alert.>');
  void (async () => {
    for await (const m of alerts) received.push(m.json());
  })();

  // The detector: a GMM the trainer fits on 3,000 in-distribution rows, thresholded at their 99th percentile.
  const data = rows(3000);
  const csv = Buffer.from(
    [
      Array.from({ length: FEATURES }, (_, f) => `f${f}`).join(','),
      ...Array.from({ length: 3000 }, (_, r) => data.subarray(r * FEATURES, (r + 1) * FEATURES).join(',')),
    ].join('\n') + '\n',
  );
  await stream(registry, 'PushDataset', [
    { header: { name: 'anomaly-e2e-data', format: 'csv', size_bytes: String(csv.length) } },
    { chunk: csv },
  ]);
  await call(trainer, 'SubmitJob', {
    job_id: 'anomaly-e2e-gmm',
    spec_json: JSON.stringify({
      family: 'gmm',
      architecture: { components: 2, covariance: 'full' },
      dataset: { name: 'anomaly-e2e-data' },
      preprocessing: { validation_split: 0 },
      epochs: 100,
      threshold_percentile: 99,
      model_name: DETECTOR,
      alias: 'production',
    }),
  });
  await eventually(
    'the GMM job',
    async () => {
      const job = await call<{ state: string; reason: string }>(trainer, 'GetJob', {
        job_id: 'anomaly-e2e-gmm',
      });
      if (job.state === 'FAILED' || job.state === 'CANCELLED')
        throw new Error(`GMM job ${job.state}: ${job.reason}`);
      return job.state === 'SUCCEEDED' ? job : undefined;
    },
    { timeoutMs: 60_000 },
  );
  const detector = await call<{ lineage: { metrics: Record<string, number> } }>(registry, 'GetVersion', {
    model: DETECTOR,
    version: 'production',
  });
  threshold = detector.lineage.metrics.threshold!;
  expect(Number.isFinite(threshold)).toBe(true);

  // The served model names the detector on the model, so every version it serves is scored.
  await pushModel(SERVED, FEATURES);
  await call(registry, 'UpdateModel', {
    name: SERVED,
    update_mask: ['tags'],
    tags: { 'monitor.detector': `${DETECTOR}@production` },
  });
}, 120_000);

afterAll(async () => {
  alerts?.unsubscribe();
  await nc?.drain();
  for (const c of [registry, trainer, inference, monitor])
    (c as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

async function traffic(
  model: string,
  total: number,
  outliers: number,
  width = FEATURES,
  drift = 0,
): Promise<void> {
  for (let sent = 0; sent < total; sent += 50) {
    await call(inference, 'ModelInfer', {
      model_name: model,
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [50, width],
          contents: { fp32_contents: [...rows(50, outliers, width, drift)] },
        },
      ],
    });
  }
}

const metricsOf = async (url: string) => (await fetch(`${url}/metrics`)).text();

describe('anomaly alerts', () => {
  it('in-distribution traffic is scored, at about the expected rate, and raises no alert', async () => {
    await traffic(SERVED, 2000, 0);
    const rate = await eventually(
      'a closed anomaly window',
      async () =>
        /aimass_monitor_anomaly_rate\{model="anomaly-e2e-served",version="1"[^}]*\} ([0-9.e-]+)/.exec(
          await metricsOf(mesh.env.AIMASS_MONITOR_HTTP!),
        )?.[1],
      { timeoutMs: 20_000 },
    );
    expect(Number(rate)).toBeLessThan(0.03);
    await new Promise((r) => setTimeout(r, 1500));
    expect(received.filter((e) => e.type === 'monitor.alert.anomaly')).toEqual([]);
    expect((await call<{ alerts: unknown[] }>(monitor, 'ListAlerts', { model: SERVED })).alerts).toEqual([]);
    const scored =
      /aimass_inference_detector_scored_rows_total\{model="anomaly-e2e-served",version="1",detector="anomaly-e2e-gmm@1"[^}]*\} (\d+)/.exec(
        await metricsOf(mesh.env.AIMASS_INFERENCE_METRICS_HTTP!),
      );
    expect(Number(scored?.[1])).toBe(1000);
  }, 60_000);

  it('traffic with 20 % outliers raises monitor.alert.anomaly with the context to act on', async () => {
    await traffic(SERVED, 2000, 0.2);
    const alert = await eventually(
      'monitor.alert.anomaly',
      () => received.find((e) => e.type === 'monitor.alert.anomaly' && e.data.model === SERVED),
      { timeoutMs: 20_000 },
    );
    expect(alert.data).toMatchObject({
      model: SERVED,
      version: '1',
      detector: `${DETECTOR}@1`,
      detector_threshold: threshold,
      significance: 0.01,
    });
    const d = alert.data as unknown as {
      scored_rows: number;
      anomalous_rows: number;
      observed_rate: number;
      expected_rate: number;
      p_value: number;
    };
    expect(d.scored_rows).toBeGreaterThanOrEqual(1000);
    expect(d.expected_rate).toBeCloseTo(0.01, 10);
    expect(d.observed_rate).toBeGreaterThan(0.1);
    expect(d.observed_rate).toBeCloseTo(d.anomalous_rows / d.scored_rows, 12);
    expect(d.p_value).toBeLessThan(1e-6);
    const listed = await call<{ alerts: Array<{ type: string; summary: string }> }>(monitor, 'ListAlerts', {
      model: SERVED,
    });
    expect(listed.alerts[0]?.type).toBe('monitor.alert.anomaly');
    expect(listed.alerts[0]?.summary).toContain(`${DETECTOR}@1`);
  }, 60_000);

  it('a malformed monitor.detector tag is refused by the registry with INVALID_ARGUMENT', async () => {
    for (const value of ['anomaly-e2e-gmm', 'anomaly-e2e-gmm@', '@production', 'a b@1']) {
      const pushed = await pushModel('anomaly-e2e-bad', FEATURES, { 'monitor.detector': value }).catch(
        (e: unknown) => e,
      );
      expect((pushed as ServiceError).code, value).toBe(status.INVALID_ARGUMENT);
      expect((pushed as ServiceError).details).toContain('monitor.detector');
      const updated = await call(registry, 'UpdateModel', {
        name: SERVED,
        update_mask: ['tags'],
        tags: { 'monitor.detector': value },
      }).catch((e: unknown) => e);
      expect((updated as ServiceError).code, value).toBe(status.INVALID_ARGUMENT);
      expect((updated as ServiceError).details).toContain('<model>@<version or alias>');
    }
  }, 30_000);

  it.each([
    [
      'an unknown detector model',
      'anomaly-e2e-ghost',
      FEATURES,
      'anomaly-e2e-ghost-detector@1',
      /does not exist|not found|no model/i,
    ],
    ['an unknown detector alias', 'anomaly-e2e-noalias', FEATURES, `${DETECTOR}@champion`, /champion/],
    [
      'a detector of another input width',
      'anomaly-e2e-wide',
      6,
      `${DETECTOR}@production`,
      /takes 4 features per row but the served input has 6/,
    ],
    [
      'a detector that is not a scorer',
      'anomaly-e2e-notscorer',
      FEATURES,
      `${SERVED}@1`,
      /has no BOOL \\?"is_anomaly\\?" output/,
    ],
  ])(
    '%s: predictions are served, nothing is raised, the rows are counted as refused',
    async (_, name, width, tag, reason) => {
      await pushModel(name, width, { 'monitor.detector': tag });
      await traffic(name, 600, 0.5, width);
      const refused = await eventually(
        'refused rows',
        async () =>
          new RegExp(
            `aimass_inference_detector_refused_rows_total\\{model="${name}",version="1"[^}]*\\} (\\d+)`,
          ).exec(await metricsOf(mesh.env.AIMASS_INFERENCE_METRICS_HTTP!))?.[1],
        { timeoutMs: 10_000 },
      );
      expect(Number(refused)).toBeGreaterThan(0);
      // The log says which tag on which version names nothing usable, and why. The counter is
      // raised before the line is written, and the line crosses a pipe: wait for it.
      const inference = mesh.services.get('inference')!.child;
      const line = await eventually(
        `the inference log line for ${name} (last lines:\n${inference.logTail(20)})`,
        () =>
          inference
            .logTail(200)
            .split('\n')
            .find((l) => l.includes('anomaly detector not used') && l.includes(`"model":"${name}"`)),
        { timeoutMs: 5_000 },
      );
      expect(line).toMatch(reason);
      await new Promise((r) => setTimeout(r, 500));
      expect(received.filter((e) => e.data.model === name)).toEqual([]);
      // And the process still serves the scored model.
      await traffic(SERVED, 50, 0);
    },
    30_000,
  );
});

describe('drift on a model the trainer trained', () => {
  // The GMM is itself a served model: the trainer registered it with reference statistics of its
  // training rows, so the monitor measures its live inputs against them.
  it('its training distribution raises no drift alert; f2 shifted by 1 sigma raises monitor.alert.drift', async () => {
    await traffic(DETECTOR, 1000, 0);
    await eventually(
      'a closed drift window of the trained model',
      async () =>
        new RegExp(`aimass_monitor_drift_detected\\{model="${DETECTOR}",version="1"[^}]*\\} 0`).exec(
          await metricsOf(mesh.env.AIMASS_MONITOR_HTTP!),
        ) ?? undefined,
      { timeoutMs: 20_000 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const driftOf = () =>
      received.filter((e) => e.type === 'monitor.alert.drift' && e.data.model === DETECTOR);
    expect(driftOf()).toEqual([]);

    await traffic(DETECTOR, 1000, 0, FEATURES, 1);
    const alert = await eventually('monitor.alert.drift', () => driftOf()[0], { timeoutMs: 30_000 });
    expect(alert.data).toMatchObject({ model: DETECTOR, version: '1' });
    expect(alert.data.drifted_features).toContain('f2');
  }, 120_000);
});
