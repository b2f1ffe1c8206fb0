import type { AimassConfig } from '@aimass/config';
import { FailedPreconditionError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { ModelInstance } from '../execution/model-instance.js';
import { InProcessRunner } from '../execution/session-runner.js';
import { WorkerRunner } from '../execution/worker-runner.js';

/**
 * Opens onnxruntime sessions; the only place that touches onnxruntime-node. Each session runs on
 * its own worker thread (AIMASS_INFERENCE_EXECUTION=worker), or on the event loop (event-loop),
 * which onnxruntime-node blocks for the length of every run.
 */
@Injectable()
export class OrtRepository {
  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  /** A session from the model's bytes, or from the path of a graph whose external data sits beside it. */
  async open(model: Uint8Array | string, label: string): Promise<ModelInstance> {
    const options = {
      intraOpNumThreads: this.config.inference.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
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
