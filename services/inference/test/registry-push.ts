import { createMeshClient } from '@aimass/grpc/client';
import type { ServiceError } from '@grpc/grpc-js';

type Registry = Record<string, (...args: unknown[]) => unknown>;

/** Test setup: pushes a model through the real registry (not part of the OIP client under test). */
export function registryClient(address: string): Registry {
  return createMeshClient('registry', address);
}

export function pushModel(
  registry: Registry,
  model: string,
  bytes: Uint8Array,
  options: { alias?: string; tags?: Record<string, string>; format?: 'onnx' | 'tfjs' } = {},
): Promise<{ version: number }> {
  return new Promise((resolve, reject) => {
    const call = registry.PushVersion!((err: ServiceError | null, res: { version: number }) =>
      err ? reject(err) : resolve(res),
    ) as { write(m: unknown): void; end(): void };
    call.write({
      header: {
        model,
        format: options.format ?? 'onnx',
        alias: options.alias ?? '',
        tags: options.tags ?? {},
      },
    });
    for (let i = 0; i < bytes.length; i += 64 * 1024) call.write({ chunk: bytes.subarray(i, i + 64 * 1024) });
    call.end();
  });
}

export function setAlias(
  registry: Registry,
  model: string,
  alias: string,
  version: number,
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    registry.SetAlias!({ model, alias, version }, (err: ServiceError | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    ),
  );
}
