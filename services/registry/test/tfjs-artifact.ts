import { packTar, tfjsArtifactFiles } from '@aimass/testing/tfjs';
import * as tf from '@tensorflow/tfjs';

/** A real TF.js layers model saved the way tf.io saves it: model.json plus two weight shards, as a tar. */
export async function tfjsLayersArtifact(): Promise<{ tar: Buffer; files: Record<string, Buffer> }> {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: 3, name: 'scores' }),
    ],
  });
  const files = await tfjsArtifactFiles(model, 2);
  return { tar: await packTar(files), files };
}
