import {
  encodeEnvelope,
  LATENCY_BUCKETS_MS,
  makeEnvelope,
  subjects,
  type monitorv1,
  type PredictionWindow,
} from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc';
import {
  checkGrpcHealth,
  freePort,
  makeScratchDir,
  startNatsServer,
  startService,
  type NatsServer,
  type ServiceProcess,
} from '@aimass/testing';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The monitor as inference sees it: summaries go into JetStream with a plain client, and the
// figures come back over HTTP, gRPC and /metrics of a real monitor process.

let nats: NatsServer;
let monitor: ServiceProcess;
let http: string;
let nc: NatsConnection;
let js: JetStreamClient;

beforeAll(async () => {
  nats = await startNatsServer();
  const logDir = makeScratchDir('monitor-e2e');
  http = `http://127.0.0.1:${await freePort()}`;
  monitor = await startService(
    'monitor',
    {
      AIMASS_NATS_URL: nats.url,
      AIMASS_MONITOR_GRPC: `127.0.0.1:${await freePort()}`,
      AIMASS_MONITOR_HTTP: http,
      AIMASS_LOG_LEVEL: 'warn',
    },
    { logDir },
  );
  nc = await connect({ servers: nats.url });
  js = jetstream(nc);
});

afterAll(async () => {
  await nc?.drain();
  await monitor?.child.stop();
  await nats?.stop();
});

function latencyBuckets(entries: Record<number, number>): number[] {
  const counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const [bound, count] of Object.entries(entries))
    counts[LATENCY_BUCKETS_MS.indexOf(Number(bound) as never)] = count;
  return counts;
}

function window(model: string, version: string, requests: number, failures: number): PredictionWindow {
  // Every request took between 2.5 and 5 ms, 4 ms on average.
  return {
    model,
    version,
    requests,
    failures,
    latency_ms_sum: 4 * requests,
    latency_ms_max: 5,
    latency_buckets: latencyBuckets({ 5: requests }),
  };
}

async function publishSummary(windows: PredictionWindow[]): Promise<void> {
  const envelope = makeEnvelope('inference.prediction.summary', {
    source: 'aimass/inference',
    subject: 'predictions',
    data: {
      window_start: new Date(Date.now() - 1000).toISOString(),
      window_end: new Date().toISOString(),
      instance: 'e2e',
      windows,
    },
  });
  await js.publish(subjects.predictions('inference'), encodeEnvelope(envelope));
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function getModelStats(
  request: monitorv1.GetModelStatsRequest,
): Promise<monitorv1.GetModelStatsResponse__Output> {
  const client = createMeshClient<monitorv1.MonitorServiceClient>('monitor', monitor.address);
  return new Promise((resolve, reject) =>
    client.getModelStats(request, (err, response) => {
      client.close();
      if (err || !response) reject(err ?? new Error('no response'));
      else resolve(response);
    }),
  );
}

type ModelsJson = {
  stats: {
    model: string;
    version: string;
    requests: number;
    failures: number;
    latency_mean_ms: number;
    latency_p50_ms: number;
    latency_p99_ms: number;
    last_seen: string;
  }[];
};

describe('monitor', () => {
  it('survives messages it cannot use, then aggregates summaries per model version', async () => {
    const bad = subjects.predictions('inference');
    await js.publish(bad, 'not json at all');
    await js.publish(
      bad,
      JSON.stringify({
        id: 'x',
        type: 'inference.prediction.summary',
        source: 's',
        time: new Date().toISOString(),
        subject: '',
        data: { windows: 'nope' },
      }),
    );
    await js.publish(
      bad,
      encodeEnvelope(
        makeEnvelope('registry.model.created', {
          source: 'e2e',
          subject: 'models/x',
          data: { model: 'x', description: '' },
        }),
      ),
    );
    await publishSummary([window('fraud', '1', 100, 2), window('spam', '4', 10, 0)]);
    await publishSummary([window('fraud', '1', 50, 1)]);

    const { stats } = await eventually(
      () => getJson<ModelsJson>(`${http}/api/models`),
      (body) => body.stats.find((s) => s.model === 'fraud')?.requests === 150,
    );
    expect(stats.map((s) => [s.model, s.version, s.requests, s.failures])).toEqual([
      ['fraud', '1', 150, 3],
      ['spam', '4', 10, 0],
    ]);
    const fraud = stats[0]!;
    expect(fraud.latency_mean_ms).toBeCloseTo(4);
    expect(fraud.latency_p50_ms).toBeGreaterThan(2.5);
    expect(fraud.latency_p99_ms).toBeLessThanOrEqual(5);
    expect(Date.parse(fraud.last_seen)).toBeGreaterThan(Date.now() - 60_000);

    expect(monitor.child.running).toBe(true);
    expect(await checkGrpcHealth(monitor.address)).toBe('SERVING');
  });

  it('answers GetModelStats over gRPC, filtered by model', async () => {
    const all = await getModelStats({});
    expect(all.stats.map((s) => s.model)).toEqual(['fraud', 'spam']);
    const { stats } = await getModelStats({ model: 'fraud' });
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ model: 'fraud', version: '1', requests: '150', failures: '3' });
    expect(stats[0]!.latency_mean_ms).toBeCloseTo(4);
  });

  it('filters the JSON by model too', async () => {
    const { stats } = await getJson<ModelsJson>(`${http}/api/models?model=spam`);
    expect(stats.map((s) => s.model)).toEqual(['spam']);
  });

  it('exposes Prometheus series fed from the summaries', async () => {
    const text = await (await fetch(`${http}/metrics`)).text();
    expect(text).toMatch(/aimass_monitor_model_requests_total\{model="fraud",version="1"[^}]*\} 150/);
    expect(text).toMatch(/aimass_monitor_model_failures_total\{model="fraud",version="1"[^}]*\} 3/);
    expect(text).toMatch(
      /aimass_monitor_model_latency_ms_bucket\{model="fraud",version="1",le="5"[^}]*\} 150/,
    );
    expect(text).toMatch(/aimass_monitor_model_latency_ms_sum\{model="fraud",version="1"[^}]*\} 600/);
  });

  it('serves the console app at / and its bundles, and refuses bad console queries by field', async () => {
    const response = await fetch(`${http}/`);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<script type="module" src="/console/app.js">');
    const app = await fetch(`${http}/console/app.js`);
    expect(app.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await app.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${http}/console/secrets.txt`)).status).toBe(404);
    for (const [query, field] of [
      ['', 'jobs'],
      ['jobs=a&points=3', 'points'],
      ['jobs=a&points=x', 'points'],
    ] as const) {
      const bad = await fetch(`${http}/api/console/training/curves?${query}`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain(field);
    }
    expect((await fetch(`${http}/api/console/training/runs/nope`)).status).toBe(404);
  });
});
