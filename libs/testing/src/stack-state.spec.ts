import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatEnv, readEnvFile, readRecordedProcesses, recordProcess, stillRunning } from './stack-state.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-stack-state-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('stack.env', () => {
  it.each([
    ['a URL', 'http://127.0.0.1:8090', 'K=http://127.0.0.1:8090'],
    ['host:port', '127.0.0.1:50051', 'K=127.0.0.1:50051'],
    ['an empty value', '', 'K='],
    ['spaces', 'a b', "K='a b'"],
    ['a single quote', "it's", "K='it'\\''s'"],
    ['a dollar sign', '$HOME', "K='$HOME'"],
  ])('writes %s so a shell and readEnvFile read it back', async (_what, value, line) => {
    const text = formatEnv({ K: value });
    expect(text).toBe(`${line}\n`);
    const file = path.join(tmp, 'stack.env');
    fs.writeFileSync(file, text);
    expect(readEnvFile(file)).toEqual({ K: value });
    const fromShell = await new Promise<string>((resolve) => {
      const sh = spawn('bash', ['-c', `set -a; source ${JSON.stringify(file)}; printf %s "$K"`]);
      let out = '';
      sh.stdout.on('data', (d: Buffer) => (out += d.toString()));
      sh.on('close', () => resolve(out));
    });
    expect(fromShell).toBe(value);
  });

  it('reads a missing file as undefined', () => {
    expect(readEnvFile(path.join(tmp, 'absent.env'))).toBeUndefined();
  });
});

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
