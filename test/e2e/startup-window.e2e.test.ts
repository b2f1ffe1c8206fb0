import path from 'node:path';
import { createMeshClient } from '@aimass/grpc/client';
import { makeScratchDir, startMesh, startService, type Mesh } from '@aimass/testing';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A service that is starting (or restarting after a crash) must never answer UNIMPLEMENTED: clients
// take it as final. Callers hammer inference's ModelInfer and the registry's ListModels while each
// process starts; until the port opens they may see UNAVAILABLE, after it only real answers.

type Rpc = Record<string, (req: unknown, opts: unknown, cb: (e: ServiceError | null) => void) => void>;
let mesh: Mesh;

beforeAll(async () => {
  mesh = await startMesh({ stateDir: makeScratchDir('startup-window'), services: ['registry'] });
}, 120_000);

afterAll(async () => {
  await mesh?.stop();
});

async function hammerWhileStarting(
  name: 'inference' | 'registry',
  method: string,
  request: unknown,
): Promise<Map<string, number>> {
  const address = mesh.env[name === 'inference' ? 'AIMASS_INFERENCE_GRPC' : 'AIMASS_REGISTRY_GRPC']!;
  const env = { ...mesh.env, AIMASS_LOG_LEVEL: 'warn' };
  if (name === 'registry') await mesh.services.get('registry')!.child.stop();
  const codes = new Map<string, number>();
  let done = false;
  const callers = Array.from({ length: 8 }, async () => {
    const client = createMeshClient<Rpc>(name, address, {
      'grpc.initial_reconnect_backoff_ms': 5,
      'grpc.max_reconnect_backoff_ms': 20,
      'grpc.use_local_subchannel_pool': 1,
    });
    while (!done) {
      const code = await new Promise<number>((resolve) =>
        client[method]!(request, { deadline: Date.now() + 1_000 }, (err) =>
          resolve(err ? err.code : status.OK),
        ),
      );
      codes.set(status[code]!, (codes.get(status[code]!) ?? 0) + 1);
      if (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED)
        await new Promise((r) => setTimeout(r, 2));
    }
    (client as unknown as { close(): void }).close();
  });
  const started = await startService(name, env, { logDir: path.join(mesh.logDir, `startup-${name}`) });
  await new Promise((r) => setTimeout(r, 500));
  done = true;
  await Promise.all(callers);
  await started.child.stop();
  return codes;
}

describe('a starting service', () => {
  it.each([
    ['inference', 'ModelInfer', { model_name: 'nothing-here', inputs: [] }],
    ['registry', 'ListModels', {}],
  ] as const)(
    '%s never answers %s with UNIMPLEMENTED',
    async (name, method, request) => {
      const codes = await hammerWhileStarting(name, method, request);
      expect(Object.fromEntries(codes)).not.toHaveProperty('UNIMPLEMENTED');
      // It did answer once up (NOT_FOUND / INVALID_ARGUMENT for inference's empty request, OK for the registry).
      const answered = [...codes].filter(([c]) => c !== 'UNAVAILABLE' && c !== 'DEADLINE_EXCEEDED');
      expect(answered.length).toBeGreaterThan(0);
    },
    90_000,
  );
});
