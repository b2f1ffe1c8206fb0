import { formatEnvFile } from '@aimass/config';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tutorialSteps, type TutorialStep } from './tutorial-blocks.js';

// Every tutorial in docs/tutorials, block by block, in order, against a real mesh (all five
// services, nats-server, the S3 endpoint), as a reader would run them from the repository root
// after `npm start`: so no tutorial rots.

const ROOT = join(import.meta.dirname, '..', '..');
const TUTORIALS = join(ROOT, 'docs', 'tutorials');
const STEP_TIMEOUT_MS = 240_000;

let mesh: Mesh;
let stackEnv: string;

beforeAll(async () => {
  const dir = makeScratchDir('tutorials');
  mesh = await startMesh({ stateDir: dir, extraEnv: { AIMASS_LOG_LEVEL: 'warn' } });
  stackEnv = join(dir, 'stack.env');
  writeFileSync(stackEnv, formatEnvFile(mesh.env));
}, 120_000);
afterAll(async () => mesh?.stop());

/** One bash process per step; exported variables and the working directory carry to the next. */
async function runStep(
  step: TutorialStep,
  state: string,
): Promise<{ code: number; out: string; err: string }> {
  const body =
    step.kind === 'file'
      ? `cat > ${JSON.stringify(step.name)} <<'AIMASS_TUTORIAL_FILE'\n${step.content}AIMASS_TUTORIAL_FILE\n`
      : step.language === 'python'
        ? `/usr/bin/python3 - <<'AIMASS_TUTORIAL_PY'\n${step.code}AIMASS_TUTORIAL_PY\n`
        : step.code;
  const script = [
    'set -euo pipefail',
    `cd ${JSON.stringify(ROOT)}`,
    `[ -f ${JSON.stringify(state)} ] && . ${JSON.stringify(state)}`,
    `trap '{ export -p; printf "cd %q\\n" "$PWD"; } > ${JSON.stringify(state)}' EXIT`,
    body,
  ].join('\n');
  // The toolchain's node and pnpm first; Debian's python3 (with scikit-learn) before any other.
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter((p) => !p.includes('/.pyenv/'))
    .join(':');
  const child = spawn('bash', ['-c', script], {
    cwd: ROOT,
    env: { ...process.env, ...mesh.env, AIMASS_STACK_ENV: stackEnv, PATH: path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  clearTimeout(timer);
  return { code, out, err };
}

const files = readdirSync(TUTORIALS)
  .filter((f) => f.endsWith('.md'))
  .sort();

describe('tutorials', () => {
  it('exist, and each has steps to run', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      expect(tutorialSteps(readFileSync(join(TUTORIALS, f), 'utf8')).length, f).toBeGreaterThan(0);
  });

  it.each(files)(
    'docs/tutorials/%s runs from start to end',
    async (file) => {
      rmSync(join(ROOT, '.aimass', 'tutorial'), { recursive: true, force: true });
      const stateDir = makeScratchDir('tutorial-state');
      mkdirSync(stateDir, { recursive: true });
      const state = join(stateDir, 'state.sh');
      for (const step of tutorialSteps(readFileSync(join(TUTORIALS, file), 'utf8'))) {
        const { code, out, err } = await runStep(step, state);
        const where = `${file}:${step.line}\n--- stdout\n${out.slice(-3000)}\n--- stderr\n${err.slice(-3000)}`;
        expect(code, `the block at ${where}`).toBe(0);
        if (step.kind === 'run' && step.expect)
          expect(out, `the output of the block at ${where}`).toMatch(step.expect);
      }
    },
    900_000,
  );
});
