import type { AimassConfig } from '@aimass/config';
import { FailedPreconditionError } from '@aimass/errors';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { ModelInstance } from '../inference/execution/model-instance.js';

/** Opens onnxruntime sessions; the only place that touches onnxruntime-node. */
@Injectable()
export class OrtRepository {
  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  async open(bytes: Uint8Array, label: string): Promise<ModelInstance> {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: this.config.inference.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return new ModelInstance(session, ort.Tensor as never);
    } catch (err) {
      throw new FailedPreconditionError(`${label} cannot be loaded by onnxruntime: ${(err as Error).message}`, { cause: err });
    }
  }
}
