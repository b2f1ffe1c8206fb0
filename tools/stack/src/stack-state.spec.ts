import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecordedProcesses, recordProcess, stillRunning } from './stack-state.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-stack-state-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('stack.pids', () => {
  it('recognises a recorded process while it runs and not after it exits or when the pid is reused', async () => {
    const file = path.join(tmp, 'stack.pids');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    recordProcess(file, 'sleeper', child.pid as number);
    const [recorded] = readRecordedProcesses(file);
    expect(recorded).toMatchObject({ pid: child.pid, name: 'sleeper' });
    expect(recorded?.startTime).toMatch(/^\d+$/);
    expect(stillRunning(recorded!)).toBe(true);
    expect(stillRunning({ ...recorded!, startTime: '1' })).toBe(false);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(stillRunning(recorded!)).toBe(false);
  });
});
