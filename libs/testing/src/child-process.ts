import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HarnessError } from './errors.js';
import { onTeardown } from './teardown.js';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnSupervisedOptions {
  /** Shown in errors and in the log header. */
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  /** The child's complete environment (callers merge over process.env themselves). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** stdout and stderr are appended here. */
  readonly logFile: string;
  /** How many of the last output lines are kept for error messages. */
  readonly tailLines?: number;
}

/**
 * One child process owned by the harness. It runs in its own process group, so a Ctrl-C in the
 * terminal reaches only the parent, which then stops children in order; signals go to the whole
 * group so nothing the child forked is left behind. Children still alive when the parent exits are
 * SIGKILLed (see teardown.ts).
 */
export class SupervisedChild {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles once the process has exited and its output is in the log file; never rejects. */
  readonly exited: Promise<ChildExit>;
  private exitStatus: ChildExit | undefined;
  private readonly tail: string[] = [];
  private readonly tailLimit: number;
  private readonly listeners = new Set<(line: string) => void>();

  private constructor(child: ChildProcess, options: SpawnSupervisedOptions) {
    this.name = options.name;
    this.pid = child.pid as number;
    this.logFile = options.logFile;
    this.tailLimit = options.tailLines ?? 200;
    const log = fs.createWriteStream(options.logFile, { flags: 'a' });
    // A broken log file must not take the harness down; the tail still has the output.
    log.on('error', (err) => this.pushLine(`[harness] cannot write ${options.logFile}: ${err.message}`));
    log.write(`=== ${this.name} pid ${this.pid} started ${new Date().toISOString()} ===\n`);
    const pending = { stdout: '', stderr: '' };
    const consume = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
      // A grandchild holding the pipe can still write after the log was closed.
      if (log.writable) log.write(chunk);
      const parts = (pending[stream] + chunk.toString('utf8')).split('\n');
      pending[stream] = parts.pop() ?? '';
      for (const line of parts) this.pushLine(line);
    };
    child.stdout?.on('data', (chunk: Buffer) => consume('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => consume('stderr', chunk));
    this.exited = new Promise((resolve) => {
      let closed = false;
      const finish = () => {
        if (closed || !this.exitStatus) return;
        closed = true;
        for (const rest of [pending.stdout, pending.stderr]) if (rest) this.pushLine(rest);
        const status = this.exitStatus;
        // Settle only once the log is on disk, so callers can read the whole file.
        log.end(`=== ${this.name} pid ${this.pid} exited ${describeExit(status)} ===\n`, () =>
          resolve(status),
        );
      };
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        liveChildren.delete(this);
        // Anything the child forked and left in its group goes with it. Done only now: later the
        // group id could belong to someone else.
        signalGroup(this.pid, 'SIGKILL');
        // Output can lag the exit; 'close' says it is all read, unless a grandchild holds the pipe.
        setTimeout(finish, 500).unref();
      });
      child.once('close', () => finish());
    });
  }

  /** Spawns and resolves once the OS has started the process (rejects e.g. when not found). */
  static spawn(options: SpawnSupervisedOptions): Promise<SupervisedChild> {
    fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
    const child = spawn(options.command, options.args ?? [], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new Promise((resolve, reject) => {
      child.once('error', (err) =>
        reject(
          new HarnessError(`${options.name}: could not start ${options.command}: ${err.message}`, {
            cause: err,
          }),
        ),
      );
      child.once('spawn', () => {
        const supervised = new SupervisedChild(child, options);
        liveChildren.add(supervised);
        registerTeardown();
        resolve(supervised);
      });
    });
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The last `lines` lines the child wrote (stdout and stderr interleaved). */
  logTail(lines = 40): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** Calls `listener` for every later output line; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends `signal` to the child's process group. No-op once it has exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) signalGroup(this.pid, signal);
  }

  /** Sends `signal`, then SIGKILL if the child is still alive after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ChildExit> {
    if (this.running) {
      this.signal(signal);
      let timer: NodeJS.Timeout | undefined;
      const escalated = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.signal('SIGKILL');
          resolve();
        }, timeoutMs);
      });
      await Promise.race([this.exited, escalated]);
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** Kills the child at once, as a crash would. */
  kill9(): Promise<ChildExit> {
    return this.stop('SIGKILL', 0);
  }

  private pushLine(line: string): void {
    this.tail.push(line);
    if (this.tail.length > this.tailLimit) this.tail.splice(0, this.tail.length - this.tailLimit);
    for (const listener of this.listeners) listener(line);
  }
}

export function describeExit(status: ChildExit): string {
  return status.signal ? `by signal ${status.signal}` : `with code ${status.code}`;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The whole group is gone already.
  }
}

/** Children still running; SIGKILLed when this process goes away (see teardown.ts). */
const liveChildren = new Set<SupervisedChild>();
let teardownRegistered = false;

function registerTeardown(): void {
  if (teardownRegistered) return;
  teardownRegistered = true;
  onTeardown('processes', () => {
    for (const child of liveChildren) signalGroup(child.pid, 'SIGKILL');
  });
}
