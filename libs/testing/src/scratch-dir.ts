import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTeardown } from './teardown.js';

/**
 * A fresh temporary directory for a server that was given none. It lives until this process goes
 * away (after the servers using it are killed), so a server can be stopped and started again on the
 * same data within one test file.
 */
export function makeScratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `aimass-${prefix}-`));
  // A server killed a moment ago may still be finishing a write, hence the retries.
  onTeardown('files', () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}
