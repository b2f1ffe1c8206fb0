import type { trainerv1 } from '@aimass/contracts';
import {
  freePort,
  makeScratchDir,
  repoRoot,
  startMesh,
  startService,
  SupervisedChild,
  type Mesh,
} from '@aimass/testing';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, trainerClient } from './harness.js';

// Which backend a node picks on a machine without a GPU, and what a gpu-pool node does about it. This
// machine has Mesa's llvmpipe, which Dawn offers as an OpenGL ES adapter (software); hiding glvnd's
// EGL vendors leaves no WebGPU adapter at all.

const NO_ADAPTER = { __EGL_VENDOR_LIBRARY_FILENAMES: '/nonexistent/egl-vendor.json' };

let mesh: Mesh;
let logDir: string;

beforeAll(async () => {
  logDir = makeScratchDir('trainer-gpu-pool');
  mesh = await startMesh({ stateDir: logDir, services: [] });
});

afterAll(async () => {
  await mesh?.stop();
});

/** The mesh's env with a trainer of its own on fresh ports. */
async function trainerEnv(extra: Record<string, string>): Promise<Record<string, string>> {
  return {
    ...mesh.env,
    AIMASS_TRAINER_GRPC: `127.0.0.1:${await freePort()}`,
    AIMASS_TRAINER_HTTP: `http://127.0.0.1:${await freePort()}`,
    AIMASS_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Starts a trainer that is expected to refuse; resolves with its exit code and output. */
async function refusedStart(
  name: string,
  extra: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = await SupervisedChild.spawn({
    name,
    command: process.execPath,
    args: [path.join(repoRoot(), 'services', 'trainer', 'dist', 'main.js')],
    env: { ...process.env, ...(await trainerEnv(extra)) },
    logFile: path.join(logDir, `${name}.log`),
  });
  const exit = await child.exited;
  return { code: exit.code, output: child.logTail(80) };
}

async function describedNode(
  extra: Record<string, string>,
  name: string,
): Promise<{ node: trainerv1.TrainerNode__Output; log: string }> {
  const env = await trainerEnv(extra);
  const service = await startService('trainer', env, { logDir: path.join(logDir, name) });
  try {
    const client = trainerClient({ ...mesh, env } as Mesh);
    const node = await call<trainerv1.GetNodeRequest, trainerv1.TrainerNode__Output>(client, 'GetNode', {});
    client.close();
    return { node, log: service.child.logTail(80) };
  } finally {
    service.child.signal('SIGTERM');
    await service.child.exited;
  }
}

describe('a gpu-pool trainer node without a GPU', () => {
  it('refuses to start, saying the adapter it found is a software one and how to go on', async () => {
    const { code, output } = await refusedStart('gpu-refuses', { AIMASS_TRAINER_POOL: 'gpu' });
    expect(code).toBe(1);
    expect(output).toContain('aimass-trainer cannot start: this gpu-pool node found no GPU backend');
    expect(output).toMatch(/webgpu: no vulkan adapter; only a software adapter \([^)]*llvmpipe/);
    expect(output).toContain('AIMASS_TRAINER_ALLOW_CPU_FALLBACK=true');
  });

  it('refuses to start when no adapter can be had at all', async () => {
    const { code, output } = await refusedStart('gpu-no-adapter', {
      AIMASS_TRAINER_POOL: 'gpu',
      ...NO_ADAPTER,
    });
    expect(code).toBe(1);
    expect(output).toContain('webgpu: no vulkan adapter; no opengles adapter');
  });

  it('starts on the CPU when AIMASS_TRAINER_ALLOW_CPU_FALLBACK=true, and says so', async () => {
    const { node, log } = await describedNode(
      { AIMASS_TRAINER_POOL: 'gpu', AIMASS_TRAINER_ALLOW_CPU_FALLBACK: 'true' },
      'gpu-fallback',
    );
    expect(node).toMatchObject({ pool: 'gpu', backend: 'wasm', adapter: '' });
    expect(log).toContain('training on wasm because AIMASS_TRAINER_ALLOW_CPU_FALLBACK=true');
  });
});

describe('a cpu-pool trainer node', () => {
  it('passes over a software WebGPU adapter for wasm, and names what it passed over', async () => {
    const { node, log } = await describedNode({}, 'cpu-auto');
    expect(node).toMatchObject({ pool: 'cpu', backend: 'wasm', adapter: '' });
    expect(log).toMatch(
      /training on the wasm backend; passed over: .*webgpu: no vulkan adapter; only a software adapter/,
    );
  });

  it('falls back to wasm when no WebGPU adapter can be had at all, and says so', async () => {
    const { node, log } = await describedNode(NO_ADAPTER, 'cpu-no-adapter');
    expect(node.backend).toBe('wasm');
    expect(log).toContain('webgpu: no vulkan adapter; no opengles adapter');
  });

  it('trains on the software adapter when told to (AIMASS_TRAINER_BACKEND=webgpu), and names it', async () => {
    const { node } = await describedNode({ AIMASS_TRAINER_BACKEND: 'webgpu' }, 'cpu-webgpu');
    expect(node).toMatchObject({
      backend: 'webgpu',
      adapter: expect.stringMatching(/llvmpipe.* via opengles, software$/),
    });
  });

  it('refuses to start when the named backend cannot be had', async () => {
    const { code, output } = await refusedStart('cpu-webgpu-none', {
      AIMASS_TRAINER_BACKEND: 'webgpu',
      ...NO_ADAPTER,
    });
    expect(code).toBe(1);
    expect(output).toContain(
      'aimass-trainer cannot start: no compute backend could be initialised: webgpu: no vulkan adapter; no opengles adapter',
    );
  });
});
