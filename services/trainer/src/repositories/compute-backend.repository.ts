import type { AimassConfig, TrainerBackendSetting } from '@aimass/config';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { pickTfjsBackend, TFJS_BACKEND_ORDER, type TfjsBackendCandidate } from '@aimass/tfjs';
import * as tf from '@tensorflow/tfjs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TrainingCompute } from '../training/training-compute.js';
import { type TrainingPlacement, tfjsTraining } from './tfjs-training-session.js';
import { describeAdapter, type GpuAdapterInfo, openWebGpu } from './webgpu-device.js';

/** The backends in the order `auto` tries them. */
const BACKEND_ORDER = TFJS_BACKEND_ORDER.training;
export type BackendName = (typeof BACKEND_ORDER)[number];

/** What a node trains on, as jobs, heartbeats and lineage report it. */
export interface ComputeBackend {
  readonly name: BackendName;
  /** Runs on a GPU (a software adapter such as Mesa's llvmpipe does not count). */
  readonly gpu: boolean;
  readonly adapter?: GpuAdapterInfo;
  /** Rows per batch when a spec names none: large on a GPU, where each step costs host time. */
  readonly defaultBatchSize: number;
  /** The largest tensor the backend holds; larger training sets stay in host memory. */
  readonly maxResidentBytes: number;
}

/** The node cannot train as configured; main.ts reports it and the process exits. */
export class ComputeBackendUnavailableError extends Error {
  override readonly name = 'ComputeBackendUnavailableError';
}

const CPU_BATCH = 64;
const GPU_BATCH = 1024;
/** wasm tensors live in a 32-bit heap that also holds everything else of the backend. */
const WASM_RESIDENT_BYTES = 1024 ** 3;

/**
 * Picks the compute backend once per process. `auto` tries TFJS_BACKEND_ORDER.training (WebGPU on
 * a hardware adapter only); a named backend is used or the node refuses to start. A gpu-pool node refuses to start without a GPU backend unless
 * AIMASS_TRAINER_ALLOW_CPU_FALLBACK is set, because jobs sent to the gpu pool expect one.
 */
@Injectable()
export class ComputeBackendRepository {
  private readonly logger = new Logger(ComputeBackendRepository.name);
  private selected: Promise<ComputeBackend> | undefined;

  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  select(): Promise<ComputeBackend> {
    this.selected ??= this.trySelect();
    return this.selected;
  }

  /** The training loop's device: tfjs on the selected backend, with the rows placed as it allows. */
  training(placement: TrainingPlacement): TrainingCompute {
    return tfjsTraining(placement);
  }

  private async trySelect(): Promise<ComputeBackend> {
    const { backend: wanted, pool, allowCpuFallback } = this.config.trainer;
    const names: readonly BackendName[] = wanted === 'auto' ? BACKEND_ORDER : [wanted];
    const { picked, passedOver } = await pickTfjsBackend(
      tf,
      names.map((name) => candidate(name, wanted)),
      {
        onUnavailable: (name, reason) => this.logger.log(`backend ${name} unavailable: ${reason}`),
        accept: (name, backend, refusals) => {
          if (pool !== 'gpu' || backend.gpu) return;
          const why = `this gpu-pool node found no GPU backend (${[...refusals, `${name} runs on the CPU`].join('; ')})`;
          if (!allowCpuFallback)
            throw new ComputeBackendUnavailableError(
              `${why}. Start it on a host with a GPU (a Vulkan driver for WebGPU), set AIMASS_TRAINER_POOL=cpu, or set AIMASS_TRAINER_ALLOW_CPU_FALLBACK=true to train gpu jobs on the CPU`,
            );
          this.logger.warn(`${why}; training on ${name} because AIMASS_TRAINER_ALLOW_CPU_FALLBACK=true`);
        },
      },
    );
    if (!picked) {
      throw new ComputeBackendUnavailableError(
        `no compute backend could be initialised: ${passedOver.join('; ')}`,
      );
    }
    const backend = picked.facts;
    this.logger.log(
      `training on the ${backend.name} backend${backend.adapter ? ` (${describeAdapter(backend.adapter)})` : ''}${passedOver.length ? `; passed over: ${passedOver.join('; ')}` : ''}`,
    );
    return backend;
  }
}

/** How to start each backend and what it offers once started. */
function candidate(name: BackendName, wanted: TrainerBackendSetting): TfjsBackendCandidate<ComputeBackend> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return {
        name,
        tfjsName: 'tensorflow',
        async prepare() {
          const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
          // A failed import leaves half-registered kernels behind, so only import a package whose libtensorflow is there.
          if (!hasTensorflowBinding(pkg))
            throw new Error('its native binding (libtensorflow) is not installed');
          await import(pkg);
          return {
            name,
            gpu: name === 'tensorflow-gpu',
            defaultBatchSize: name === 'tensorflow-gpu' ? GPU_BATCH : CPU_BATCH,
            maxResidentBytes: Number.MAX_SAFE_INTEGER,
          };
        },
      };
    case 'webgpu':
      return {
        name,
        tfjsName: 'webgpu',
        async prepare() {
          const device = await openWebGpu({ acceptSoftware: wanted === 'webgpu' });
          const gpu = !device.adapter.software;
          return {
            name,
            gpu,
            adapter: device.adapter,
            defaultBatchSize: gpu ? GPU_BATCH : CPU_BATCH,
            maxResidentBytes: device.maxBufferBytes,
          };
        },
      };
    case 'wasm':
      return {
        name,
        tfjsName: 'wasm',
        async prepare() {
          await import('@tensorflow/tfjs-backend-wasm');
          return { name, gpu: false, defaultBatchSize: CPU_BATCH, maxResidentBytes: WASM_RESIDENT_BYTES };
        },
      };
    case 'cpu':
      return {
        name,
        tfjsName: 'cpu',
        prepare: async () => ({
          name,
          gpu: false,
          defaultBatchSize: CPU_BATCH,
          maxResidentBytes: Number.MAX_SAFE_INTEGER,
        }),
      };
  }
}

function hasTensorflowBinding(pkg: string): boolean {
  try {
    const root = path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    const lib = path.join(root, 'lib');
    return (
      fs.existsSync(lib) &&
      fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')))
    );
  } catch {
    return false;
  }
}
