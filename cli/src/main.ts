#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { runCli } from './program.js';

// `pnpm aimass` runs from the repository root (the script's package); files named on the command
// line are relative to where the user typed it, which pnpm and npm pass as INIT_CWD.
if (process.env.INIT_CWD) {
  try {
    process.chdir(process.env.INIT_CWD);
  } catch {
    // A folder removed since: paths stay relative to the repository root.
  }
}
process.exitCode = await runCli(process.argv.slice(2), processIo);
