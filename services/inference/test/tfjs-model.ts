import * as tf from '@tensorflow/tfjs';
import tar from 'tar-stream';

/**
 * Test setup: a tfjs model saved the way tf.io saves a directory (model.json plus weight shards),
 * packed as the tar the registry takes for format "tfjs". The weights are cut into `shards` files.
 */
export async function tfjsTar(model: tf.LayersModel, shards = 2, dir = ''): Promise<Buffer> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const weights = Buffer.from(saved!.weightData as ArrayBuffer);
  const names = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
  const size = Math.ceil(weights.length / shards);
  const files: Record<string, Buffer> = {
    [`${dir}model.json`]: Buffer.from(JSON.stringify({
      modelTopology: saved!.modelTopology,
      format: saved!.format,
      generatedBy: saved!.generatedBy,
      convertedBy: null,
      weightsManifest: [{ paths: names, weights: saved!.weightSpecs }],
    })),
  };
  names.forEach((name, i) => (files[`${dir}${name}`] = weights.subarray(i * size, (i + 1) * size)));
  return packTar(files);
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

/** The bytes of a tensor's values, for bit-for-bit comparisons. */
export function tensorBytes(t: tf.Tensor): Buffer {
  const d = t.dataSync() as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}
