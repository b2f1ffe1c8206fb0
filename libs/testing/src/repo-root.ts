import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './errors.js';

let cached: string | undefined;

/** The workspace root: the nearest directory above this file that holds pnpm-workspace.yaml. */
export function repoRoot(start = __dirname): string {
  if (cached && start === __dirname) return cached;
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
      if (start === __dirname) cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new HarnessError(`no pnpm-workspace.yaml above ${start}`);
    dir = parent;
  }
}
