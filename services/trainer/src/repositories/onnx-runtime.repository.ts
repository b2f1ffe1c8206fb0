import { Injectable } from '@nestjs/common';
import * as ort from 'onnxruntime-node';

/** Runs an exported graph in onnxruntime, as inference will serve it: the trainer's parity check. */
@Injectable()
export class OnnxRuntimeRepository {
  /** Every output of `graph` for `rows` rows of `input`, as float32. */
  async run(
    graph: Uint8Array,
    inputName: string,
    input: Float32Array,
    rows: number,
    width: number,
  ): Promise<Record<string, Float32Array>> {
    const session = await ort.InferenceSession.create(graph, { graphOptimizationLevel: 'all' });
    try {
      const outputs = await session.run({ [inputName]: new ort.Tensor('float32', input, [rows, width]) });
      return Object.fromEntries(
        Object.entries(outputs).map(([name, tensor]) => [
          name,
          Float32Array.from(tensor.data as Float32Array),
        ]),
      );
    } finally {
      await session.release();
    }
  }
}
