import { FailedPreconditionError } from '@aimass/errors';
import { Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { ModelInstance } from '../inference/execution/model-instance.js';

/** Opens onnxruntime sessions; the only place that touches onnxruntime-node. */
@Injectable()
export class OrtRepository {
  async open(bytes: Uint8Array, label: string): Promise<ModelInstance> {
    try {
      const session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: 1,
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
