import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readEnvFile } from '@aimass/config';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive } from '@aimass/testing';
import { writeFixtureServices } from '@aimass/testing/fixtures';
import { readRecordedProcesses, stackPaths } from './stack-state.js';

const LAUNCHER = path.resolve(import.meta.dirname, '..', 'dist', 'stack-main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-stack-spec-'));
const healthy = writeFixtureServices(path.join(tmp, 'healthy'));
const monitorFails = writeFixtureServices(path.join(tmp, 'monitor-fails'), ['monitor']);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function stack(stateDir: string, servicesDir: string, command: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAUNCHER, command, '--state-dir', stateDir, '--services-dir', servicesDir, '--free-ports'],
      { timeout: 150_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function allGone(pids: number[], timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !pids.some(processAlive);
}

const stateDirs: string[] = [];
afterAll(async () => {
  for (const dir of stateDirs) await stack(dir, healthy, 'down');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('scripts/stack', () => {
  it.each([
    [['--help'], 0, 'stdout', 'usage: scripts/stack [up|run|down|status|add trainer]'],
    [['help'], 0, 'stdout', 'add trainer  start one more trainer node in the running stack'],
    [['--bogus'], 2, 'stderr', "stack: Unknown option '--bogus'"],
    [['sideways'], 2, 'stderr', 'stack: unknown command sideways'],
    [['add', 'tuner'], 2, 'stderr', 'stack: add takes one service kind: trainer'],
    [['add', 'trainer', '--pool', 'tpu'], 2, 'stderr', 'stack: --pool must be cpu or gpu, not tpu'],
  ] as const)('%j prints its usage (exit %i), not a stack trace', async (args, code, stream, expected) => {
    const run = await new Promise<Run>((resolve) =>
      execFile(process.execPath, [LAUNCHER, ...args], { timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(run.code).toBe(code);
    expect(run[stream]).toContain(expected);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
  });

  it('up starts a detached stack and writes stack.env; status, a second up and down behave', async () => {
    const stateDir = path.join(tmp, 'up-down');
    stateDirs.push(stateDir);
    const paths = stackPaths(tmp, stateDir);

    const up = await stack(stateDir, healthy, 'up');
    expect(up.code, up.stderr).toBe(0);
    const env = readEnvFile(paths.envFile);
    expect(env).toBeDefined();
    expect(up.stdout).toContain(`AIMASS_NATS_URL=${env?.AIMASS_NATS_URL}`);
    for (const key of [
      'AIMASS_NATS_URL',
      'AIMASS_S3_ENDPOINT',
      'AIMASS_REGISTRY_GRPC',
      'AIMASS_MONITOR_HTTP',
      'AIMASS_INFERENCE_METRICS_HTTP',
      'AIMASS_STACK_PID',
    ]) {
      expect(env?.[key], key).toBeTruthy();
    }
    const recorded = readRecordedProcesses(paths.pidsFile);
    expect(recorded.map((p) => p.name)).toEqual([
      'daemon',
      'nats-server',
      's3',
      'registry',
      'trainer',
      'tuner',
      'inference',
      'monitor',
    ]);
    expect(recorded[0]?.pid).toBe(Number(env?.AIMASS_STACK_PID));
    expect(recorded.every((p) => processAlive(p.pid))).toBe(true);
    expect(fs.existsSync(path.join(paths.logDir, 'registry.log'))).toBe(true);

    const status = await stack(stateDir, healthy, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout.match(/SERVING/g)).toHaveLength(5);
    expect(status.stdout).toMatch(/^nats .* listening$/m);

    const again = await stack(stateDir, healthy, 'up');
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already runs');
    expect(readEnvFile(paths.envFile)).toEqual(env);

    const down = await stack(stateDir, healthy, 'down');
    expect(down.code).toBe(0);
    expect(await allGone(recorded.map((p) => p.pid))).toBe(true);
    expect(fs.existsSync(paths.envFile)).toBe(false);
    expect(fs.existsSync(paths.pidsFile)).toBe(false);

    const downAgain = await stack(stateDir, healthy, 'down');
    expect(downAgain.code).toBe(0);
    expect(downAgain.stderr).toContain('no stack was running');
    expect((await stack(stateDir, healthy, 'status')).code).toBe(1);
  });

  it('down cleans up the servers of a daemon that was killed', async () => {
    const stateDir = path.join(tmp, 'crashed');
    stateDirs.push(stateDir);
    const paths = stackPaths(tmp, stateDir);
    expect((await stack(stateDir, healthy, 'up')).code).toBe(0);
    const recorded = readRecordedProcesses(paths.pidsFile);
    process.kill(recorded[0]!.pid, 'SIGKILL');
    expect(await allGone([recorded[0]!.pid])).toBe(true);
    expect(recorded.slice(1).every((p) => processAlive(p.pid))).toBe(true);

    const down = await stack(stateDir, healthy, 'down');
    expect(down.code).toBe(0);
    expect(await allGone(recorded.map((p) => p.pid))).toBe(true);
  });

  it('up fails with the daemon log tail and leaves nothing running when a service does not start', async () => {
    const stateDir = path.join(tmp, 'failing');
    stateDirs.push(stateDir);
    const paths = stackPaths(tmp, stateDir);
    const up = await stack(stateDir, monitorFails, 'up');
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('the stack did not come up');
    expect(up.stderr).toMatch(/monitor: exited with code 4/);
    expect(up.stderr).toContain('refusing to start');
    expect(fs.existsSync(paths.envFile)).toBe(false);
    const started = [...fs.readFileSync(paths.daemonLog, 'utf8').matchAll(/up \(pid (\d+)\)/g)].map((m) =>
      Number(m[1]),
    );
    expect(started).toHaveLength(6);
    expect(await allGone(started)).toBe(true);
  });
});
