import * as tf from '@tensorflow/tfjs';
import { Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The tfjs backends in the order a node tries them; the first two are optional native packages. */
export const BACKEND_ORDER = [
  { name: 'tensorflow-gpu', module: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  { name: 'tensorflow', module: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  { name: 'wasm', module: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  { name: 'cpu', module: undefined, tfName: 'cpu' },
] as const;

export type BackendName = (typeof BACKEND_ORDER)[number]['name'];

/**
 * Picks the compute backend once per process: tfjs-node-gpu, then tfjs-node, then wasm, then the
 * plain JS cpu backend. The native packages are optional dependencies whose libtensorflow may be
 * missing; they are only imported when their binding file exists, because a failed import leaves
 * half-registered kernels behind.
 */
@Injectable()
export class ComputeBackendRepository {
  private readonly logger = new Logger(ComputeBackendRepository.name);
  private selected: Promise<BackendName> | undefined;

  select(): Promise<BackendName> {
    this.selected ??= this.trySelect();
    return this.selected;
  }

  private async trySelect(): Promise<BackendName> {
    const require = createRequire(import.meta.url);
    for (const candidate of BACKEND_ORDER) {
      try {
        if (candidate.module === '@tensorflow/tfjs-node-gpu' || candidate.module === '@tensorflow/tfjs-node') {
          const root = path.dirname(require.resolve(`${candidate.module}/package.json`));
          const lib = path.join(root, 'lib');
          const hasBinding = fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
          if (!hasBinding) throw new Error('its native binding (libtensorflow) is not installed');
        }
        if (candidate.module) await import(candidate.module);
        if (await tf.setBackend(candidate.tfName)) {
          await tf.ready();
          this.logger.log(`training on the ${candidate.name} backend`);
          return candidate.name;
        }
      } catch (err) {
        this.logger.log(`backend ${candidate.name} unavailable: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    throw new Error('no tfjs backend could be initialised');
  }
}
