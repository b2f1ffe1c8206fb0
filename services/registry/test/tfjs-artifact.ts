import * as tf from '@tensorflow/tfjs';
import tar from 'tar-stream';

/** A real TF.js layers model saved the way tf.io saves it: model.json plus two weight shards, as a tar. */
export async function tfjsLayersArtifact(): Promise<{ tar: Buffer; files: Record<string, Buffer> }> {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu', name: 'hidden' }), tf.layers.dense({ units: 3, name: 'scores' })],
  });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const weights = Buffer.from(saved!.weightData as ArrayBuffer);
  const half = Math.floor(weights.length / 2);
  const modelJson = {
    modelTopology: saved!.modelTopology,
    format: saved!.format,
    generatedBy: saved!.generatedBy,
    convertedBy: null,
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: saved!.weightSpecs }],
  };
  const files: Record<string, Buffer> = {
    'model.json': Buffer.from(JSON.stringify(modelJson)),
    'group1-shard1of2.bin': weights.subarray(0, half),
    'group1-shard2of2.bin': weights.subarray(half),
  };
  return { tar: await packTar(files), files };
}

export async function packTar(files: Record<string, Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const ended = new Promise((resolve) => pack.on('end', () => resolve(undefined)));
  for (const [name, body] of Object.entries(files)) pack.entry({ name, size: body.length }, body);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}
