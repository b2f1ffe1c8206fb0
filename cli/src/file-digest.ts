import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { InputFileError, unreadable } from './errors.js';

/** Size of a regular file, with a message a person can act on when it is missing or not a file. */
export async function regularFileSize(file: string): Promise<number> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  if (!stat.isFile()) throw new InputFileError(`${file} is not a regular file`);
  return stat.size;
}

/** Hex SHA-256 of a file, read as a stream; `onBytes` sees the running byte count. */
export async function sha256OfFile(file: string, onBytes?: (done: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let done = 0;
  try {
    for await (const chunk of fs.createReadStream(file)) {
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      onBytes?.(done);
    }
  } catch (err) {
    throw unreadable(file, err);
  }
  return hash.digest('hex');
}
