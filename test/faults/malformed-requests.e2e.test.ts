import { columnStatistics, columnSummaries } from '@aimass/datasets';
import { packageDefinitionOf } from '@aimass/grpc';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MalformedRequests, unaryMethods } from './malformed.js';

// 10,000 hostile requests (AIMASS_FUZZ_REQUESTS to change) across every unary OIP v2 and registry
// method: random field values of the right wire types, valid requests with one field replaced, and
// damaged encodings. Every one must end with a status a caller can act on, no process may die, and
// the servers' memory must level off. The generator is seeded, so a failure replays.

const TOTAL = Number(process.env.AIMASS_FUZZ_REQUESTS ?? 10_000);
const SEED = 20261205;
const CONCURRENCY = 16;
/** Statuses that mean the server did not handle the request: a crash, a hang or an unmapped error. */
const UNCLEAN = new Set([status.UNKNOWN, status.INTERNAL, status.DEADLINE_EXCEEDED, status.UNAVAILABLE]);

type Rpc = Record<string, (...a: unknown[]) => unknown>;

const model = randomDenseNetwork({
  inputDim: 4,
  hidden: [8],
  outputDim: 2,
  seed: 5,
  activation: 'relu',
  outputActivation: 'linear',
});

interface Case {
  readonly path: string;
  readonly body: Buffer;
  readonly target: 'inference' | 'registry';
}

function rssBytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Sends `body` as the request of `path`, unparsed, and returns the status it ended with. */
function send(client: Client, c: Case): Promise<{ code: number; details: string }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      c.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      c.body,
      new Metadata(),
      { deadline: Date.now() + 20_000 },
      (err: ServiceError | null) =>
        resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }),
    ),
  );
}

/** The cases, generated in one go from a fixed seed. */
function cases(count: number): Case[] {
  const out: Case[] = [];
  for (const target of ['inference', 'registry'] as const) {
    const definition = packageDefinitionOf(target);
    const service =
      target === 'inference' ? 'inference.GRPCInferenceService' : 'aimass.registry.v1.RegistryService';
    const gen = new MalformedRequests(definition);
    // Unloading the model under test would only turn later requests into NOT_FOUND.
    const methods = [...unaryMethods(definition, service)].filter(
      ([name]) => name !== 'RepositoryModelUnload',
    );
    const valid: Record<string, Record<string, unknown>> = {
      ModelInfer: {
        model_name: 'fuzz',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
        raw_input_contents: [Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer)],
      },
      ModelMetadata: { name: 'fuzz' },
      ModelReady: { name: 'fuzz' },
      ModelStatistics: { name: 'fuzz' },
      GetModel: { name: 'fuzz' },
      GetVersion: { model: 'fuzz', version: '1' },
      ListVersions: { model: 'fuzz' },
      SetAlias: { model: 'fuzz', alias: 'staging', version: '1' },
      GetReferenceStatistics: { model: 'fuzz', version: '1' },
      ConvertModelVersion: { model: 'fuzz', version: '1', to: 'fp16' },
    };
    const perTarget = Math.ceil(count / 2 / methods.length);
    for (const [name, method] of methods) {
      const typeName = method.requestTypeName;
      const base = valid[name] ?? {};
      const encoded = method.requestSerialize(base);
      const body = fc.oneof(
        gen.message(typeName).map((m) => method.requestSerialize(m)),
        gen.mutated(typeName, base).map((m) => method.requestSerialize(m)),
        gen.damaged(encoded),
      );
      for (const b of fc.sample(body, { seed: SEED + out.length, numRuns: perTarget }))
        out.push({ path: method.path, body: b, target });
    }
  }
  return fc
    .sample(fc.shuffledSubarray(out, { minLength: out.length }), { seed: SEED, numRuns: 1 })[0]!
    .slice(0, count);
}

describe('malformed requests', () => {
  let mesh: Mesh;

  beforeAll(async () => {
    mesh = await startMesh({
      stateDir: makeScratchDir('malformed'),
      services: ['registry', 'inference'],
      extraEnv: { AIMASS_LOG_LEVEL: 'error' },
    });
    const registry = createMeshClient<Rpc>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
    await new Promise<void>((resolve, reject) => {
      const call = registry.PushVersion!((err: ServiceError | null) => (err ? reject(err) : resolve())) as {
        write(m: unknown): void;
        end(): void;
      };
      call.write({ header: { model: 'fuzz', format: 'onnx', alias: 'production' } });
      call.write({ chunk: Buffer.from(exportDenseNetwork(model)) });
      call.end();
    });
    // Warm-up: a conversion loads onnxruntime into the registry (lazily, once, about 150 MB). Done
    // here, so the memory measured below is the requests', not a library's first load.
    const unary = (method: string, request: unknown) =>
      new Promise<void>((resolve, reject) =>
        registry[method]!(request, (err: ServiceError | null) => (err ? reject(err) : resolve())),
      );
    const rows = Float32Array.from({ length: 400 }, (_, i) => Math.sin(i));
    await unary('SetReferenceStatistics', {
      model: 'fuzz',
      version: 1,
      statistics: {
        sample_count: 100,
        computed_at: new Date().toISOString(),
        features: columnSummaries(columnStatistics(rows, 100, 4), ['a', 'b', 'c', 'd']),
      },
    });
    await unary('ConvertModelVersion', { model: 'fuzz', version: '1', to: 'fp16' });
    (registry as unknown as Client).close();
  }, 120_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it(`answers ${TOTAL} hostile requests with clean statuses, stays up, and levels off in memory`, async () => {
    const all = cases(TOTAL);
    const clients = {
      inference: new Client(mesh.env.AIMASS_INFERENCE_GRPC!, credentials.createInsecure(), {
        'grpc.max_send_message_length': -1,
      }),
      registry: new Client(mesh.env.AIMASS_REGISTRY_GRPC!, credentials.createInsecure(), {
        'grpc.max_send_message_length': -1,
      }),
    };
    const pids = {
      inference: mesh.services.get('inference')!.child.pid,
      registry: mesh.services.get('registry')!.child.pid,
    };
    const codes = new Map<string, number>();
    const unclean: string[] = [];
    const sample = () => ({ inference: rssBytes(pids.inference), registry: rssBytes(pids.registry) });
    /** Sends `batch` at CONCURRENCY; returns the RSS of both processes at each quarter and at the end. */
    const pass = async (batch: readonly Case[]) => {
      const rss: Array<{ inference: number; registry: number }> = [];
      let next = 0;
      const quarter = Math.ceil(batch.length / 4);
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < batch.length; i = next++) {
            const c = batch[i]!;
            const r = await send(clients[c.target], c);
            codes.set(status[r.code]!, (codes.get(status[r.code]!) ?? 0) + 1);
            if (UNCLEAN.has(r.code) || (r.code !== status.OK && r.details.trim() === ''))
              unclean.push(`${c.path} (${c.body.length} bytes): ${status[r.code]} ${r.details}`);
            if (i % quarter === 0) rss.push(sample());
          }
        }),
      );
      rss.push(sample());
      return rss;
    };
    // The kernel's high-water mark of each process's RSS (VmHWM): the true peak, not a sample of it.
    const highWater = () => ({
      inference: rssBytes(pids.inference, 'VmHWM'),
      registry: rssBytes(pids.registry, 'VmHWM'),
    });
    const first = await pass(all);
    const firstPeak = highWater();
    // The leak check: the same requests again. Warm-up (heap growth to the working set, JIT, lazily
    // loaded libraries) happened in the first pass, wherever the seeded order put it; a leak would
    // raise the high-water mark again.
    const again = all.slice(0, Math.ceil(all.length / 2));
    const second = await pass(again);
    const secondPeak = highWater();
    clients.inference.close();
    clients.registry.close();
    const mb = (series: typeof first, t: 'inference' | 'registry') =>
      series.map((x) => Math.round(x[t] / 2 ** 20));
    console.log(
      `statuses: ${JSON.stringify(Object.fromEntries(codes))}; RSS MB by quarter, first pass then ` +
        `${again.length} of the same again: inference ${JSON.stringify(mb(first, 'inference'))} ` +
        `${JSON.stringify(mb(second, 'inference'))}, registry ${JSON.stringify(mb(first, 'registry'))} ` +
        `${JSON.stringify(mb(second, 'registry'))}; high-water MB after each pass: inference ` +
        `${Math.round(firstPeak.inference / 2 ** 20)} → ${Math.round(secondPeak.inference / 2 ** 20)}, registry ` +
        `${Math.round(firstPeak.registry / 2 ** 20)} → ${Math.round(secondPeak.registry / 2 ** 20)}`,
    );
    expect(unclean.slice(0, 10)).toEqual([]);
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBe(all.length + again.length);
    // Both processes are still serving.
    for (const t of ['inference', 'registry'] as const)
      expect(mesh.services.get(t)!.child.running).toBe(true);
    const oip = createMeshClient<Rpc>('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
    const ok = await new Promise<number>((resolve) =>
      oip.ModelInfer!(
        {
          model_name: 'fuzz',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
          raw_input_contents: [Buffer.from(Float32Array.from([1, 2, 3, 4]).buffer)],
        },
        (err: ServiceError | null) => resolve(err ? err.code : status.OK),
      ),
    );
    (oip as unknown as Client).close();
    expect(status[ok]).toBe('OK');
    // Memory levels off: repeating requests already answered raises neither process's high-water
    // mark (VmHWM, so a peak between two samples counts) by more than 64 MiB.
    for (const t of ['inference', 'registry'] as const) {
      expect(
        secondPeak[t] - firstPeak[t],
        `${t} RSS MB ${mb(first, t).join(' → ')} then ${mb(second, t).join(' → ')}`,
      ).toBeLessThan(64 * 2 ** 20);
    }
  }, 600_000);
});
