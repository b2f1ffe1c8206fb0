import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SupervisedChild } from './child-process.js';
import { processAlive } from './process-table.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-child-spec-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DIST_CHILD_PROCESS = path.resolve(import.meta.dirname, '..', 'dist', 'child-process.js');

function nodeChild(name: string, script: string): Promise<SupervisedChild> {
  return SupervisedChild.spawn({
    name,
    command: process.execPath,
    args: ['-e', script],
    logFile: path.join(tmp, `${name}.log`),
  });
}

function nextLine(child: SupervisedChild, pattern: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const off = child.onLine((line) => {
      if (pattern.test(line)) {
        off();
        resolve(line);
      }
    });
  });
}

async function waitGone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !processAlive(pid);
}

describe('SupervisedChild', () => {
  it('writes output to the log file and keeps a tail of the last lines', async () => {
    const child = await nodeChild(
      'talker',
      "for (let i = 0; i < 300; i++) console.log('line ' + i); console.error('bye');",
    );
    const status = await child.exited;
    expect(status).toEqual({ code: 0, signal: null });
    // stdout and stderr are separate pipes, so their relative order is not kept.
    const tail = child.logTail(3).split('\n');
    expect(tail).toHaveLength(3);
    expect(child.logTail(10)).toContain('line 299');
    expect(child.logTail(1000).split('\n').length).toBeLessThanOrEqual(200);
    const log = fs.readFileSync(child.logFile, 'utf8');
    expect(log).toContain('line 0\n');
    expect(log).toContain('line 299\n');
    // stderr's line reaches the log too, wherever it falls among stdout's lines.
    expect(log).toContain('bye\n');
  });

  it('stops a well-behaved child with SIGTERM', async () => {
    const child = await nodeChild('polite', "setInterval(() => {}, 1000); console.log('ready');");
    await nextLine(child, /ready/);
    const status = await child.stop('SIGTERM', 5_000);
    expect(status.signal).toBe('SIGTERM');
    expect(processAlive(child.pid)).toBe(false);
  });

  it('escalates to SIGKILL when the child ignores SIGTERM', async () => {
    const child = await nodeChild(
      'stubborn',
      "process.on('SIGTERM', () => console.log('ignored')); setInterval(() => {}, 1000); console.log('ready');",
    );
    await nextLine(child, /ready/);
    const started = Date.now();
    const status = await child.stop('SIGTERM', 500);
    expect(status.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(child.logTail()).toContain('ignored');
    expect(processAlive(child.pid)).toBe(false);
  });

  it('kill9 kills at once and takes the child’s own children with it', async () => {
    const child = await nodeChild(
      'forker',
      "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log('grandchild ' + c.pid); setInterval(() => {}, 1000);",
    );
    const grandchild = Number((await nextLine(child, /grandchild/)).split(' ')[1]);
    expect(processAlive(grandchild)).toBe(true);
    const status = await child.kill9();
    expect(status.signal).toBe('SIGKILL');
    expect(await waitGone(grandchild)).toBe(true);
  });

  it('rejects when the command does not exist', async () => {
    await expect(
      SupervisedChild.spawn({
        name: 'ghost',
        command: path.join(tmp, 'no-such-binary'),
        logFile: path.join(tmp, 'ghost.log'),
      }),
    ).rejects.toThrow(/ghost: could not start/);
  });

  it.each([
    ['exits normally', 'setTimeout(() => process.exit(0), 100)'],
    ['is killed by an unhandled SIGTERM', "setTimeout(() => process.kill(process.pid, 'SIGTERM'), 100)"],
  ])('leaves no child behind when the parent %s', async (_what, ending) => {
    const parent = [
      `const { SupervisedChild } = await import(${JSON.stringify(pathToFileURL(DIST_CHILD_PROCESS).href)});`,
      `SupervisedChild.spawn({ name: 'orphan', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], logFile: ${JSON.stringify(path.join(tmp, 'orphan.log'))} })`,
      `.then((c) => { console.log(c.pid); ${ending}; });`,
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      parent,
    ]).catch((err: { stdout: string }) => err);
    const orphan = Number(stdout.trim());
    expect(orphan).toBeGreaterThan(0);
    expect(await waitGone(orphan)).toBe(true);
  });
});
