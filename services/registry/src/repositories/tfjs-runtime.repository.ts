import type { TfjsArtifact } from '@aimass/tfjs';
import { Injectable } from '@nestjs/common';

type Tfjs = typeof import('@tensorflow/tfjs');

/**
 * tfjs for the registry's own check of a tfjs layers version against its ONNX conversion. tfjs is
 * imported on the first conversion (a registry that never converts one never loads it) and runs on
 * its cpu backend: the check is a few rows, and the cpu backend computes in float32 with no native
 * parts. A model lives for one call.
 */
@Injectable()
export class TfjsRuntimeRepository {
  private ready: Promise<Tfjs> | undefined;

  /** The layers model's predict on float32 rows shaped [rows, ...shape]; its single output, flat. */
  async predict(artifact: TfjsArtifact, rows: Float32Array, shape: readonly number[]): Promise<Float32Array> {
    const tf = await this.start();
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: artifact.modelJson.modelTopology,
        weightSpecs: artifact.weightSpecs,
        weightData: artifact.weightData,
      }),
    );
    try {
      const rowSize = shape.reduce((a, d) => a * d, 1);
      return tf.tidy(() => {
        const x = tf.tensor(rows, [rows.length / rowSize, ...shape], 'float32');
        return (model.predict(x) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array;
      });
    } finally {
      model.dispose();
    }
  }

  private start(): Promise<Tfjs> {
    this.ready ??= import('@tensorflow/tfjs').then(async (tf) => {
      // tfjs prints a multi-line banner on first use in Node; production mode silences it.
      tf.enableProdMode();
      await tf.setBackend('cpu');
      return tf;
    });
    return this.ready;
  }
}
