import fs from 'node:fs';
import path from 'node:path';
import { processAlive, processStartTime, repoRoot } from '@aimass/testing';

/**
 * The files through which `scripts/stack up|down|status` and the running stack daemon talk:
 *   .aimass/stack.env   KEY=VALUE lines (@aimass/config formatEnvFile) of the mesh env plus AIMASS_STACK_PID; exists while the stack is up
 *   .aimass/stack.pids  "<pid> <start-time> <name>" per process, so `down` can kill what a dead daemon left
 *   .aimass/logs/       one log per process, stack.log for the daemon itself
 */
export interface StackPaths {
  readonly root: string;
  readonly stateDir: string;
  readonly envFile: string;
  readonly pidsFile: string;
  readonly logDir: string;
  readonly daemonLog: string;
}

/** `stateDir` defaults to <repo>/.aimass; the launcher's own tests point it elsewhere. */
export function stackPaths(root = repoRoot(), stateDir = path.join(root, '.aimass')): StackPaths {
  const logDir = path.join(stateDir, 'logs');
  return {
    root,
    stateDir,
    envFile: path.join(stateDir, 'stack.env'),
    pidsFile: path.join(stateDir, 'stack.pids'),
    logDir,
    daemonLog: path.join(logDir, 'stack.log'),
  };
}

/** Readers never see a half-written file: `up` treats the env file's existence as "ready". */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export interface RecordedProcess {
  readonly pid: number;
  /** Kernel start time (Linux /proc), so a reused pid is never mistaken for ours; '' elsewhere. */
  readonly startTime: string;
  readonly name: string;
}

export function recordProcess(pidsFile: string, name: string, pid: number): void {
  fs.appendFileSync(pidsFile, `${pid} ${processStartTime(pid) || '-'} ${name}\n`);
}

export function readRecordedProcesses(pidsFile: string): RecordedProcess[] {
  let text: string;
  try {
    text = fs.readFileSync(pidsFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => /^(\d+) (\S+) (.+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      pid: Number(m[1]),
      startTime: m[2] === '-' ? '' : (m[2] as string),
      name: m[3] as string,
    }));
}

/** Whether the recorded process is still running (same pid and, where known, same start time). */
export function stillRunning(proc: RecordedProcess): boolean {
  if (!processAlive(proc.pid)) return false;
  const startTime = processStartTime(proc.pid);
  return !proc.startTime || !startTime || startTime === proc.startTime;
}

/** The last `lines` lines written to `file` after byte `fromOffset`. */
export function fileTail(file: string, fromOffset = 0, lines = 40): string {
  try {
    const text = fs.readFileSync(file).subarray(fromOffset).toString('utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
