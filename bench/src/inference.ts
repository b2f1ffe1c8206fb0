// npm run bench -- inference [--duration MS] [--hidden 256,32,256]
// The OIP v2 serving path against its ceilings, all in one run on this machine:
//   raw onnxruntime in-process (batch 1, 64); grpc-js unary (c1, c64) and bidi-stream echo servers with the
//   same 3 KB payload; a minimal grpc-js + onnxruntime server without batching (DIY); aimass
//   (registry + inference processes, tracing exported to a local OTLP receiver) unary and stream at
//   concurrency 1 and 64; aimass with tracing off, for the tracing overhead; aimass with tracing and
//   input sketches (drift) off, for the sketch overhead; and aimass with bearer-token authentication on,
//   for the auth overhead, against a sibling process started the same way with authentication off
//   (the mesh's own inference has had more warm-up and runs beside the registry, so it is not the
//   baseline for a second process). --duration is the measuring time per configuration, taken in 5
//   interleaved rounds, the order reversed every other round so no configuration always follows the
//   same one. --hidden sets the hidden layers of
//   the 784-...-784 model: the default is the autoencoder, where the transport dominates;
//   wider layers show where batching pays (e.g. --hidden 1024,1024).
import { localAuthority } from '@aimass/auth';
import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { freePort, makeScratchDir, startMesh, startService } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { median, positiveInt, printTable, type Benchmark } from './benchmark.js';
import {
  callMetadata,
  cpuMicros,
  oipClient,
  streamLoad,
  unaryLoad,
  type LoadResult,
} from './inference/load.js';
import { startOtlpSink } from './inference/otlp-sink.js';

const MODEL = 'bench-ae';

/** Median throughput and latency quantiles over rounds, errors summed. */
function medianResult(results: readonly LoadResult[]): LoadResult {
  const mid = (key: (r: LoadResult) => number) => median(results.map(key));
  const sum = (key: (r: LoadResult) => number) => results.reduce((n, r) => n + key(r), 0);
  return {
    rps: mid((r) => r.rps),
    p50Ms: mid((r) => r.p50Ms),
    p99Ms: mid((r) => r.p99Ms),
    errors: sum((r) => r.errors),
    count: sum((r) => r.count),
    total: sum((r) => r.total),
  };
}

async function rawOrt(
  bytes: Uint8Array,
  batch: number,
  durationMs: number,
): Promise<{ usPerCall: number; rowsPerS: number }> {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: batch * 784 }, (_, i) => (i % 97) / 97),
    [batch, 784],
  );
  for (let i = 0; i < 50; i++) await session.run({ input: x });
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    await session.run({ input: x });
    calls++;
  }
  const elapsed = performance.now() - start;
  await session.release();
  return { usPerCall: (elapsed * 1000) / calls, rowsPerS: (calls * batch * 1000) / elapsed };
}

async function startBaseline(args: string[]): Promise<{ address: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'inference', 'servers.js'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`baseline server ${args[0]} exited with ${code}`)));
  });
  return { address: `127.0.0.1:${port}`, child };
}

function push(registryAddress: string, bytes: Uint8Array): Promise<void> {
  const registry = createMeshClient<Record<string, (...a: unknown[]) => unknown>>(
    'registry',
    registryAddress,
  );
  return new Promise((resolve, reject) => {
    const call = registry.PushVersion!((err: ServiceError | null) => (err ? reject(err) : resolve())) as {
      write(m: unknown): void;
      end(): void;
    };
    call.write({ header: { model: MODEL, format: 'onnx', alias: 'production' } });
    for (let i = 0; i < bytes.length; i += 256 * 1024)
      call.write({ chunk: bytes.subarray(i, i + 256 * 1024) });
    call.end();
  });
}

const benchmark: Benchmark = {
  description:
    'OIP v2 inference vs grpc-js echo ceilings, a DIY grpc-js + onnxruntime server and raw onnxruntime',
  options: { duration: { type: 'string' }, hidden: { type: 'string' } },
  async run(args) {
    const duration = positiveInt(args, 'duration', 3000);
    const rounds = 5;
    const slice = Math.max(200, Math.round(duration / rounds));
    const hidden = typeof args.hidden === 'string' ? args.hidden.split(',').map(Number) : [256, 32, 256];
    if (hidden.some((n) => !Number.isInteger(n) || n <= 0))
      throw new Error(
        `--hidden takes positive layer widths separated by commas, e.g. 256,32,256; got ${String(args.hidden)}`,
      );
    const spec = randomDenseNetwork({
      inputDim: 784,
      hidden,
      outputDim: 784,
      seed: 7,
      activation: 'relu',
      outputActivation: 'sigmoid',
    });
    const bytes = exportDenseNetwork(spec);
    const dir = makeScratchDir('bench-inference');
    const modelPath = join(dir, 'ae.onnx');
    writeFileSync(modelPath, bytes);
    const payload = Buffer.from(Float32Array.from({ length: 784 }, (_, i) => (i % 97) / 97).buffer);
    const request = {
      model_name: MODEL,
      model_version: '',
      id: '',
      inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '784'] }],
      raw_input_contents: [payload],
    };

    const ort1 = await rawOrt(bytes, 1, Math.min(duration, 1500));
    const ort64 = await rawOrt(bytes, 64, Math.min(duration, 1500));

    const children: ChildProcess[] = [];
    const otlp = await startOtlpSink();
    let mesh: Awaited<ReturnType<typeof startMesh>> | undefined;
    let untraced: Awaited<ReturnType<typeof startService>> | undefined;
    let authed: Awaited<ReturnType<typeof startService>> | undefined;
    let authOff: Awaited<ReturnType<typeof startService>> | undefined;
    let unsketched: Awaited<ReturnType<typeof startService>> | undefined;
    const results = new Map<string, LoadResult[]>();
    // Server CPU per request does not depend on what else the machine runs, unlike throughput.
    const cpu = new Map<string, number>();
    // The load client shares the 2 cores: its CPU per request (this process, which also runs the
    // OTLP sink) shows how much of the machine it takes from the server.
    const clientCpu = new Map<string, number>();
    try {
      // Every server is up before measuring; idle ones cost nothing. The configurations then take
      // turns in short slices, round after round, so that load from elsewhere on a shared machine
      // hits them alike; each figure is the median over the rounds.
      const echo = await startBaseline(['echo']);
      const diy = await startBaseline(['diy', modelPath]);
      children.push(echo.child, diy.child);
      mesh = await startMesh({
        stateDir: dir,
        services: ['registry', 'inference'],
        otlpEndpoint: otlp.url,
        extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
      });
      await push(mesh.env.AIMASS_REGISTRY_GRPC!, bytes);
      const untracedEnv = {
        ...mesh.env,
        AIMASS_OTLP_ENDPOINT: '',
        AIMASS_INFERENCE_GRPC: `127.0.0.1:${await freePort()}`,
        AIMASS_INFERENCE_METRICS_HTTP: `http://127.0.0.1:${await freePort()}`,
      };
      untraced = await startService('inference', untracedEnv, { logDir: mesh.logDir });
      // The same traced server, verifying a bearer token on every call as a mesh with auth on does.
      const authority = await localAuthority(join(dir, 'auth'));
      const authedEnv = {
        ...mesh.env,
        AIMASS_AUTH_JWKS: authority.jwksFile,
        AIMASS_INFERENCE_GRPC: `127.0.0.1:${await freePort()}`,
        AIMASS_INFERENCE_METRICS_HTTP: `http://127.0.0.1:${await freePort()}`,
      };
      authed = await startService('inference', authedEnv, { logDir: mesh.logDir });
      const authOffEnv = {
        ...mesh.env,
        AIMASS_INFERENCE_GRPC: `127.0.0.1:${await freePort()}`,
        AIMASS_INFERENCE_METRICS_HTTP: `http://127.0.0.1:${await freePort()}`,
      };
      authOff = await startService('inference', authOffEnv, { logDir: mesh.logDir });
      const token = await authority.mint('bench', [`infer:${MODEL}`], 3600);
      const unsketchedEnv = {
        ...untracedEnv,
        AIMASS_INFERENCE_SKETCHES: 'false',
        AIMASS_INFERENCE_GRPC: `127.0.0.1:${await freePort()}`,
        AIMASS_INFERENCE_METRICS_HTTP: `http://127.0.0.1:${await freePort()}`,
      };
      unsketched = await startService('inference', unsketchedEnv, { logDir: mesh.logDir });
      const echoClient = oipClient(echo.address);
      const diyClient = oipClient(diy.address);
      const aimass = oipClient(mesh.env.AIMASS_INFERENCE_GRPC!);
      const plain = oipClient(untracedEnv.AIMASS_INFERENCE_GRPC);
      const withToken = oipClient(authedEnv.AIMASS_INFERENCE_GRPC);
      const bearer = callMetadata(token);
      const withoutToken = oipClient(authOffEnv.AIMASS_INFERENCE_GRPC);
      const noSketch = oipClient(unsketchedEnv.AIMASS_INFERENCE_GRPC);
      const traced = mesh.services.get('inference')!.child.pid;
      const configs: [string, number, () => Promise<LoadResult>][] = [
        ['grpc-js unary echo, c1', echo.child.pid!, () => unaryLoad(echoClient, request, 1, slice, 200)],
        ['grpc-js unary echo, c64', echo.child.pid!, () => unaryLoad(echoClient, request, 64, slice, 200)],
        [
          'grpc-js stream echo, window 64',
          echo.child.pid!,
          () => streamLoad(echoClient, request, 64, slice, 200),
        ],
        ['DIY grpc-js + ORT unary, c64', diy.child.pid!, () => unaryLoad(diyClient, request, 64, slice, 200)],
        ['aimass unary, c1 (traced)', traced, () => unaryLoad(aimass, request, 1, slice, 200)],
        ['aimass unary, c64 (traced)', traced, () => unaryLoad(aimass, request, 64, slice, 200)],
        ['aimass stream, window 1 (traced)', traced, () => streamLoad(aimass, request, 1, slice, 200)],
        ['aimass stream, window 64 (traced)', traced, () => streamLoad(aimass, request, 64, slice, 200)],
        [
          'aimass unary, c64 (tracing off)',
          untraced.child.pid,
          () => unaryLoad(plain, request, 64, slice, 200),
        ],
        [
          'aimass unary, c64 (traced, auth off, 2nd process)',
          authOff.child.pid,
          () => unaryLoad(withoutToken, request, 64, slice, 200),
        ],
        [
          'aimass unary, c64 (traced, auth on, 3rd process)',
          authed.child.pid,
          () => unaryLoad(withToken, request, 64, slice, 200, bearer),
        ],
        [
          'aimass unary, c64 (sketches off, tracing off)',
          unsketched.child.pid,
          () => unaryLoad(noSketch, request, 64, slice, 200),
        ],
      ];
      for (let round = 0; round < rounds; round++) {
        for (const [name, pid, measure] of round % 2 === 0 ? configs : [...configs].reverse()) {
          const before = cpuMicros(pid);
          const clientBefore = process.cpuUsage();
          const r = await measure();
          cpu.set(name, (cpu.get(name) ?? 0) + cpuMicros(pid) - before);
          const client = process.cpuUsage(clientBefore);
          clientCpu.set(name, (clientCpu.get(name) ?? 0) + client.user + client.system);
          results.set(name, [...(results.get(name) ?? []), r]);
        }
      }
      for (const c of [echoClient, diyClient, aimass, plain, withToken, withoutToken, noSketch]) c.close();
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await untraced?.child.stop('SIGTERM', 10_000);
      await authed?.child.stop('SIGTERM', 10_000);
      await authOff?.child.stop('SIGTERM', 10_000);
      await unsketched?.child.stop('SIGTERM', 10_000);
      await mesh?.stop();
      await otlp.close();
    }
    const rows: [string, LoadResult][] = [...results].map(([name, rs]) => [name, medianResult(rs)]);

    process.stdout.write(`model 784-${hidden.join('-')}-784\n`);
    process.stdout.write(
      `raw onnxruntime in-process: batch 1 ${ort1.usPerCall.toFixed(1)} µs/call (${ort1.rowsPerS.toFixed(0)} rows/s); batch 64 ${ort64.usPerCall.toFixed(0)} µs/call (${ort64.rowsPerS.toFixed(0)} rows/s)\n`,
    );
    printTable(
      ['path', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU µs/req', 'client CPU µs/req'],
      rows.map(([name, r]) => [
        name,
        Math.round(r.rps),
        r.p50Ms,
        r.p99Ms,
        r.errors,
        Math.round(cpu.get(name)! / r.total),
        Math.round(clientCpu.get(name)! / r.total),
      ]),
    );
    process.stdout.write(`OTLP exports received: ${otlp.exports()}\n`);
    const get = (name: string) => rows.find(([n]) => n.startsWith(name))![1];
    process.stdout.write(
      `load average after the run: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (2 cores)\n`,
    );
    const traced = get('aimass unary, c64 (traced)');
    const cpuPerRequest = (suffix: string) => {
      const [name, r] = rows.find(([n]) => n.startsWith(`aimass unary, c64 ${suffix}`))!;
      return cpu.get(name)! / r.total;
    };
    return {
      unary_vs_echo: traced.rps / get('grpc-js unary echo, c64').rps,
      stream_vs_stream_echo: get('aimass stream, window 64').rps / get('grpc-js stream echo').rps,
      vs_diy_c64: traced.rps / get('DIY grpc-js').rps,
      p99_c1_ms: get('aimass unary, c1').p99Ms,
      p99_c1_vs_echo: get('aimass unary, c1').p99Ms / get('grpc-js unary echo, c1').p99Ms,
      tracing_overhead: Math.max(0, 1 - traced.rps / get('aimass unary, c64 (tracing off)').rps),
      // Server CPU per request is steadier than throughput on a shared machine; both are printed above.
      auth_overhead: Math.max(
        0,
        1 - get('aimass unary, c64 (traced, auth on').rps / get('aimass unary, c64 (traced, auth off').rps,
      ),
      // Both untraced; the first folds every request's 784 inputs into sketches (the default).
      sketch_overhead: Math.max(
        0,
        1 - get('aimass unary, c64 (tracing off)').rps / get('aimass unary, c64 (sketches off').rps,
      ),
      // Server CPU per request, sketches on over off: steadier than throughput on a shared machine.
      sketch_cpu_overhead: Math.max(0, cpuPerRequest('(tracing off)') / cpuPerRequest('(sketches off') - 1),
    };
  },
};

export default benchmark;
