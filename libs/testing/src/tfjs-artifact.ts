// Test setup for tfjs-format versions, apart from the index so that only the tests that push tfjs
// models load tfjs: `import { tfjsTar } from '@aimass/testing/tfjs'`.
import * as tf from '@tensorflow/tfjs';
import tar from 'tar-stream';

/**
 * The files `tf.io` saves for a model (model.json plus its weights cut into `shards` files), under
 * `dir` ('' for the root, or e.g. 'saved/'): the directory the registry takes, tarred, as format "tfjs".
 */
export async function tfjsArtifactFiles(
  model: tf.LayersModel,
  shards = 2,
  dir = '',
): Promise<Record<string, Buffer>> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const weights = Buffer.from(saved!.weightData as ArrayBuffer);
  const names = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
  const size = Math.ceil(weights.length / shards);
  const files: Record<string, Buffer> = {
    [`${dir}model.json`]: Buffer.from(
      JSON.stringify({
        modelTopology: saved!.modelTopology,
        format: saved!.format,
        generatedBy: saved!.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: names, weights: saved!.weightSpecs }],
      }),
    ),
  };
  names.forEach((name, i) => (files[`${dir}${name}`] = weights.subarray(i * size, (i + 1) * size)));
  return files;
}

/** tfjsArtifactFiles as the tar a push of format "tfjs" carries. */
export async function tfjsTar(model: tf.LayersModel, shards = 2, dir = ''): Promise<Buffer> {
  return packTar(await tfjsArtifactFiles(model, shards, dir));
}

/** A tar of the given files, in memory. */
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
