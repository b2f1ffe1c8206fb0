import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The trainer bench imports the trainer's built modules by path with loose types, so a signature
// change there compiles and only breaks when someone runs the bench. One tiny round keeps it honest.
const run = fileURLToPath(new URL('../dist/run.js', import.meta.url));

describe('npm run bench -- trainer', () => {
  it('runs one tiny round against the built trainer and prints its RESULT line', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [run, 'trainer', '--rows', '160', '--epochs', '1', '--rounds', '1'],
      { timeout: 120_000 },
    );
    expect(stdout.trim().split('\n').at(-1)).toMatch(
      /^RESULT overhead=-?[\d.]+ aimass_sps=[\d.]+ fit_sps=[\d.]+$/,
    );
  });
});
