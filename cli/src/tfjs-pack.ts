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
  const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'aimass-tfjs-'));
  const out = path.join(tmp, 'model.tar');
  try {
    const pack = tar.pack();
    const written = pipeline(pack, fs.createWriteStream(out));
    try {
      for (const name of names) {
        const file = path.join(dir, name);
        const { size } = await fs.promises.stat(file);
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
