import { Writable } from 'node:stream';
import type { CliIo } from '../src/cli-io.js';

export interface CapturedIo extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

/** An io whose stdout and stderr are collected as text (stderr is not a TTY, so no progress bars). */
export function captureIo(env: NodeJS.ProcessEnv = {}): CapturedIo {
  let out = '';
  let err = '';
  const stderr = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      err += chunk.toString();
      done();
    },
  });
  return { stdout: { write: (text: string) => (out += text) }, stderr, env, out: () => out, err: () => err };
}
