import { createMeshClient } from '@aimass/grpc/client';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { writeShardedChain, type ShardedChain } from '@aimass/testing/onnx-external';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../cli/test/capture-io.js';
import { runCli } from '../../cli/src/program.js';

// Sharding, end to end: a model whose weights live in ONNX external data, 5 float32 layers of
// 4096 x 4096 in 3 data files (320 MiB in all), is pushed by the CLI as onnx-external, pulled back
// whole, and served by inference, which unpacks the shards into its scratch folder and lets
// onnxruntime open the graph by path. Neither process ever holds the artifact whole in memory: the
// kernel's high-water mark of each (VmHWM, reset just before the step) shows it.

type Rpc = Record<string, (...a: unknown[]) => unknown>;
interface InferResponse {
  outputs: { name: string; shape: string[] }[];
  raw_output_contents: Buffer[];
}

const MiB = 1024 * 1024;
const WIDTH = 4096;
/**
 * What serving may add to inference's RSS beyond the model's own bytes: onnxruntime's arena for
 * the activations, a session's bookkeeping, the session's worker thread and the download's chunks
 * not yet collected (measured: +393 MiB in all for these 320 MiB). The weights themselves
 * stay in the mapped shards (sharded models skip onnxruntime's pre-packing, which copies each
 * weight while the original is held: +409 MiB for these 320 MiB in a bare onnxruntime-node
 * session). A buffered download beside onnxruntime's copy would overshoot it by ~250 MiB.
 */
const INFERENCE_MARGIN = 128 * MiB;
/**
 * What a push or a pull may add to the registry's RSS, whatever the artifact's size: the graph
 * (kilobytes), up to 16 received chunk messages of 4 MiB queued in gRPC's stream, three upload
 * parts of 16 MiB, and decoded messages not yet collected (measured: +138 to +204 MiB for a push
 * of these 320 MiB, +22 MiB for the pull).
 */
const REGISTRY_MARGIN = 256 * MiB;

let mesh: Mesh;
let tmp: string;
let chain: ShardedChain;
let oip: Rpc;
let registry: Rpc;

function status(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Resets the process's RSS high-water mark to its current RSS (Linux: clear_refs 5). */
function resetPeak(pid: number): number {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return status(pid, 'VmRSS');
}

function pid(name: 'inference' | 'registry'): number {
  return mesh.services.get(name)!.child.pid;
}

function input(): Float32Array {
  return Float32Array.from({ length: WIDTH }, (_, i) => Math.sin(i * 0.37));
}

beforeAll(async () => {
  tmp = makeScratchDir('sharding');
  mesh = await startMesh({
    stateDir: path.join(tmp, 'mesh'),
    services: ['registry', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_INFERENCE_SCRATCH_DIR: path.join(tmp, 'scratch') },
  });
  chain = writeShardedChain(path.join(tmp, 'model'), { width: WIDTH, layers: 5, layersPerShard: 2 });
  oip = createMeshClient<Rpc>('inference', mesh.env.AIMASS_INFERENCE_GRPC!);
  registry = createMeshClient<Rpc>('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
}, 180_000);

afterAll(async () => {
  (oip as unknown as Client | undefined)?.close();
  (registry as unknown as Client | undefined)?.close();
  await mesh?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a model in external-data shards over 256 MiB', () => {
  let sha256 = '';

  it('is pushed by the CLI as onnx-external, graph and shards in one artifact, with bounded registry memory', async () => {
    expect(chain.dataFiles).toHaveLength(3);
    expect(chain.totalBytes).toBeGreaterThan(256 * MiB);
    const base = resetPeak(pid('registry'));
    const io = captureIo({ AIMASS_STACK_ENV: path.join(tmp, 'no-stack.env') });
    const code = await runCli(
      ['--registry', mesh.env.AIMASS_REGISTRY_GRPC!, 'models', 'push', 'sharded', chain.graphPath],
      io,
    );
    expect({ code, err: io.err().slice(-500) }).toMatchObject({ code: 0 });
    expect(io.out().trim()).toBe('1');
    expect(io.err()).toContain(
      'keeps its weights in 3 external-data files: pushing graph and shards as onnx-external',
    );

    const shown = await new Promise<{ format: string; sha256: string; size_bytes: string }>(
      (resolve, reject) =>
        registry.GetVersion!({ model: 'sharded', version: '1' }, (err: ServiceError | null, v: never) =>
          err ? reject(err) : resolve(v),
        ),
    );
    expect(shown.format).toBe('onnx-external');
    expect(Number(shown.size_bytes)).toBeGreaterThan(chain.totalBytes);
    sha256 = shown.sha256;
    const grew = status(pid('registry'), 'VmHWM') - base;
    console.log(
      `registry: push of ${(Number(shown.size_bytes) / MiB).toFixed(0)} MiB raised its RSS peak by ${(grew / MiB).toFixed(1)} MiB`,
    );
    expect(grew).toBeLessThan(REGISTRY_MARGIN);
  }, 240_000);

  it('is pulled back whole, piece by piece, with bounded registry memory', async () => {
    const base = resetPeak(pid('registry'));
    const hash = createHash('sha256');
    let pieces = 0;
    let largest = 0;
    const stream = registry.DownloadVersion!({ model: 'sharded', version: '1' }) as AsyncIterable<{
      chunk?: Buffer;
    }>;
    for await (const message of stream)
      if (message.chunk?.length) {
        hash.update(message.chunk);
        pieces++;
        largest = Math.max(largest, message.chunk.length);
      }
    expect(hash.digest('hex')).toBe(sha256);
    expect(pieces).toBeGreaterThan(50);
    expect(largest).toBeLessThanOrEqual(4 * MiB);
    const grew = status(pid('registry'), 'VmHWM') - base;
    console.log(`registry: pull raised its RSS peak by ${(grew / MiB).toFixed(1)} MiB`);
    expect(grew).toBeLessThan(REGISTRY_MARGIN);
  }, 240_000);

  it('is served by inference, which predicts the float64 reference, with its peak RSS below the model size plus a margin', async () => {
    const base = resetPeak(pid('inference'));
    const x = input();
    const res = await new Promise<InferResponse>((resolve, reject) =>
      oip.ModelInfer!(
        {
          model_name: 'sharded',
          model_version: '1',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH] }],
          raw_input_contents: [Buffer.from(x.buffer)],
        },
        { deadline: Date.now() + 180_000 },
        (err: ServiceError | null, r: InferResponse) => (err ? reject(err) : resolve(r)),
      ),
    );
    const peak = status(pid('inference'), 'VmHWM');
    expect(res.outputs[0]!.shape.map(Number)).toEqual([1, WIDTH]);
    const raw = res.raw_output_contents[0]!;
    const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const want = chain.reference(Array.from(x));
    const scale = Math.max(...want.map(Math.abs));
    const worst = Math.max(...want.map((w, i) => Math.abs(got[i]! - w)));
    expect(worst / scale).toBeLessThan(1e-4);

    console.log(
      `inference: RSS ${(base / MiB).toFixed(0)} MiB before the load, peak ${(peak / MiB).toFixed(0)} MiB serving a ${(chain.totalBytes / MiB).toFixed(0)} MiB model (margin ${INFERENCE_MARGIN / MiB} MiB)`,
    );
    expect(peak).toBeLessThan(base + chain.totalBytes + INFERENCE_MARGIN);
    // The shards were unpacked into a private folder under the scratch folder, which is gone once
    // the session is open; onnxruntime reads the weights from its mappings of the (deleted) shards.
    const scratch = path.join(tmp, 'scratch');
    expect(fs.readdirSync(scratch)).toEqual([]);
    const mapped = new Set(
      fs
        .readFileSync(`/proc/${pid('inference')}/maps`, 'utf8')
        .split('\n')
        .filter((l) => l.includes(`${scratch}/aimass-model-`))
        .map((l) => path.basename(l.replace(/ \(deleted\)$/, ''))),
    );
    expect([...mapped].sort()).toEqual(chain.dataFiles.map((f) => path.basename(f)).sort());
  }, 240_000);

  it('keeps serving: a second prediction needs no second load', async () => {
    const before = status(pid('inference'), 'VmRSS');
    const x = input().map((v) => v * 2);
    const res = await new Promise<InferResponse>((resolve, reject) =>
      oip.ModelInfer!(
        {
          model_name: 'sharded',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH] }],
          raw_input_contents: [Buffer.from(x.buffer)],
        },
        { deadline: Date.now() + 30_000 },
        (err: ServiceError | null, r: InferResponse) => (err ? reject(err) : resolve(r)),
      ),
    );
    expect(res.outputs[0]!.shape.map(Number)).toEqual([1, WIDTH]);
    expect(status(pid('inference'), 'VmRSS')).toBeLessThan(before + 64 * MiB);
  }, 60_000);
});
