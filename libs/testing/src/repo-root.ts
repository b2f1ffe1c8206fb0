import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './errors.js';

let cached: string | undefined;

/** The workspace root: the nearest directory above this file that holds pnpm-workspace.yaml. */
export function repoRoot(start = import.meta.dirname): string {
  if (cached && start === import.meta.dirname) return cached;
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
      if (start === import.meta.dirname) cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new HarnessError(`no pnpm-workspace.yaml above ${start}`);
    dir = parent;
  }
}
