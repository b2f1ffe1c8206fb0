import type { AimassConfig } from '@aimass/config';
import { FailedPreconditionError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { ModelInstance } from '../execution/model-instance.js';
import { InProcessRunner } from '../execution/session-runner.js';
import { WorkerRunner } from '../execution/worker-runner.js';

/** How one session is opened. */
export interface OpenOptions {
  /**
   * Let onnxruntime pre-pack MatMul/Gemm weights for its GEMM kernels (its default). Pre-packing
   * copies every weight while the original is still held, so the load peaks at about 1.3x the
   * weights; without it, weights read from external-data shards stay in the mapped files (page
   * cache: counted once, reclaimable), and batched runs are slower (see README, Sharding).
   */
  readonly prepack?: boolean;
}

/**
 * Opens onnxruntime sessions; the only place that touches onnxruntime-node. Each session runs on
 * its own worker thread (AIMASS_INFERENCE_EXECUTION=worker), or on the event loop (event-loop),
 * which onnxruntime-node blocks for the length of every run.
 */
@Injectable()
export class OrtRepository {
  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  /** A session from the model's bytes, or from the path of a graph whose external data sits beside it. */
  async open(model: Uint8Array | string, label: string, open: OpenOptions = {}): Promise<ModelInstance> {
    const options = {
      intraOpNumThreads: this.config.inference.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(open.prepack === false ? { extra: { session: { disable_prepacking: '1' } } } : {}),
    } as const;
    try {
      if (this.config.inference.execution === 'worker')
        return new ModelInstance(await WorkerRunner.open(model, options));
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, options)
          : await ort.InferenceSession.create(model, options);
      return new ModelInstance(new InProcessRunner(session, ort.Tensor as never));
    } catch (err) {
      throw new FailedPreconditionError(
        `${label} cannot be loaded by onnxruntime: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
