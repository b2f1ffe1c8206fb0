import type { AimassConfig } from '@aimass/config';
import type { trainerv1 } from '@aimass/contracts';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import type { ComputeBackend } from '../repositories/compute-backend.repository.js';
import { describeAdapter } from '../repositories/webgpu-device.js';

/** The families this build trains: tfjs for the neural ones, EM (libs/gmm) for the mixture. */
export const TRAINABLE_FAMILIES = ['ae', 'vae', 'gan', 'gmm'];

/** What this trainer node is, and how busy. The backend is known once the runner has chosen it. */
@Injectable()
export class TrainerNodeService {
  /** A NATS subject token: the host name's dots and other specials become '-'. */
  readonly id = `${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`;
  private backend: ComputeBackend | undefined;
  private active = 0;

  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  get pool(): 'cpu' | 'gpu' {
    return this.config.trainer.pool;
  }

  get concurrency(): number {
    return this.config.trainer.concurrency;
  }

  get computeBackend(): string {
    return this.backend?.name ?? 'none';
  }

  /** The GPU under a WebGPU backend, as one line ('nvidia nvidia-h200 via vulkan'); empty otherwise. */
  get adapter(): string {
    return this.backend?.adapter ? describeAdapter(this.backend.adapter) : '';
  }

  /** Batch size and placement limits of the backend the runner chose. */
  get backendProfile(): ComputeBackend | undefined {
    return this.backend;
  }

  useBackend(backend: ComputeBackend): void {
    this.backend = backend;
  }

  jobStarted(): void {
    this.active += 1;
  }

  jobEnded(): void {
    this.active = Math.max(0, this.active - 1);
  }

  describe(): trainerv1.TrainerNode {
    return {
      id: this.id,
      pool: this.pool,
      backend: this.computeBackend,
      adapter: this.adapter,
      concurrency: this.concurrency,
      active_jobs: this.active,
      families: this.backend ? TRAINABLE_FAMILIES : [],
    };
  }

  heartbeat(): {
    node_id: string;
    pool: string;
    backend: string;
    adapter?: string;
    active_jobs: number;
    concurrency: number;
    load: number;
  } {
    return {
      node_id: this.id,
      pool: this.pool,
      backend: this.computeBackend,
      ...(this.adapter ? { adapter: this.adapter } : {}),
      active_jobs: this.active,
      concurrency: this.concurrency,
      load: this.active / this.concurrency,
    };
  }
}
