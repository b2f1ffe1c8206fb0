import { Injectable } from '@nestjs/common';
import type { InferenceSession } from 'onnxruntime-node';

/** One output as onnxruntime returned it. */
export interface RuntimeOutput {
  readonly type: string;
  readonly data: ArrayLike<number> | ArrayLike<bigint> | readonly string[];
}

/**
 * onnxruntime for the registry's own checks of the models it stores (a compressed copy against its
 * source). A session lives for one call: the registry loads a model rarely and must not hold it,
 * and onnxruntime's native library is loaded on the first call, so a registry that never converts
 * never maps it.
 */
@Injectable()
export class OnnxRuntimeRepository {
  /**
   * Runs `model` on float32 rows fed to `input`, each row `features` values (or shaped `features`,
   * the dimensions after the batch); every output by name.
   */
  async run(
    model: Uint8Array,
    input: string,
    rows: Float32Array,
    features: number | readonly number[],
  ): Promise<Record<string, RuntimeOutput>> {
    const ort = await import('onnxruntime-node');
    const session: InferenceSession = await ort.InferenceSession.create(model);
    try {
      const dims = typeof features === 'number' ? [features] : [...features];
      const rowSize = dims.reduce((a, d) => a * d, 1);
      const feed = new ort.Tensor('float32', rows, [rows.length / rowSize, ...dims]);
      const results = await session.run({ [input]: feed });
      return Object.fromEntries(
        Object.entries(results).map(([name, t]) => [
          name,
          { type: t.type, data: t.data as RuntimeOutput['data'] },
        ]),
      );
    } finally {
      await session.release();
    }
  }
}
