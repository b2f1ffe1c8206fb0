import {
  MAX_EXTERNAL_GRAPH_BYTES,
  OnnxSignatureError,
  externalDataRefs,
  type ExternalDataRef,
} from '@aimass/onnx';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InputFileError, unreadable } from './errors.js';

/**
 * Packs a TF.js model directory (model.json plus its weight shards) into a tar in a temporary file,
 * entries at the root, the format the registry reads for `--format tfjs`. The caller removes it (its
 * directory); when packing fails, nothing is left behind.
 */
export async function packTfjsDirectory(dir: string): Promise<string> {
  const stat = await fs.promises.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory())
    throw new InputFileError(
      `${dir} is not a directory: --format tfjs takes the directory holding model.json`,
    );
  const names = (await fs.promises.readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
  if (!names.includes('model.json')) throw new InputFileError(`${dir} holds no model.json`);
  return packFiles(dir, names, 'tfjs');
}

/**
 * The external-data references of an ONNX graph file, read only when the file is small enough to
 * be a graph whose weights live elsewhere; [] for a self-contained model (or bytes that are not
 * ONNX, which the registry refuses with its own message).
 */
export async function externalReferencesOf(graphFile: string): Promise<ExternalDataRef[]> {
  const stat = await fs.promises.stat(graphFile).catch((err: unknown) => {
    throw unreadable(graphFile, err);
  });
  if (!stat.isFile() || stat.size > MAX_EXTERNAL_GRAPH_BYTES) return [];
  const bytes = await fs.promises.readFile(graphFile).catch((err: unknown) => {
    throw unreadable(graphFile, err);
  });
  try {
    return externalDataRefs(bytes);
  } catch (err) {
    if (err instanceof OnnxSignatureError) return [];
    throw err;
  }
}

/**
 * Packs an ONNX graph and the external-data files its initializers name (paths relative to the
 * graph) into a tar in a temporary file, the format the registry reads for `--format onnx-external`;
 * the bytes stream file by file, never held whole. The caller removes it (its directory).
 */
export async function packOnnxExternal(graphFile: string): Promise<string> {
  const refs = await externalReferencesOf(graphFile);
  if (refs.length === 0)
    throw new InputFileError(
      `${graphFile} names no external data: push it with --format onnx (onnx-external takes a graph whose weights live in other files)`,
    );
  const locations = [...new Set(refs.map((r) => path.posix.normalize(r.location)))].sort();
  for (const location of locations)
    if (path.isAbsolute(location) || location.startsWith('..'))
      throw new InputFileError(
        `${graphFile} keeps data in "${location}"; external data must sit beside the graph or below it`,
      );
  return packFiles(path.dirname(graphFile), [path.basename(graphFile), ...locations], 'onnx');
}

/** A tar of `names` (relative to `dir`) in a fresh temporary folder; removed again when packing fails. */
async function packFiles(dir: string, names: readonly string[], what: string): Promise<string> {
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), `aimass-${what}-`));
  const out = path.join(tmp, 'model.tar');
  try {
    const pack = tar.pack();
    const written = pipeline(pack, fs.createWriteStream(out));
    try {
      for (const name of names) {
        const file = path.join(dir, name);
        const { size } = await fs.promises.stat(file).catch((err: unknown) => {
          throw unreadable(file, err);
        });
        const entry = pack.entry({ name, size });
        await pipeline(fs.createReadStream(file), entry).catch((err: unknown) => {
          throw unreadable(file, err);
        });
      }
      pack.finalize();
    } catch (err) {
      pack.destroy();
      await written.catch(() => undefined);
      throw err;
    }
    await written;
    return out;
  } catch (err) {
    // Nobody else knows where the half-written tar is.
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
