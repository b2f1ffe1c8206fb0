/**
 * Last-moment cleanup of what the harness owns: first the child processes, then the temporary
 * directories they wrote to. Runs on 'exit' (normal exits, process.exit) and on SIGINT, SIGTERM and
 * SIGHUP when nothing else handles them: Node would die of those without emitting 'exit', and a
 * test runner stops its workers with SIGTERM. The signal is re-raised afterwards, so the process
 * still dies of it. A program with its own handler (the stack launcher) owns an orderly shutdown,
 * and these hooks then run only at its final exit.
 */
export type TeardownPhase = 'processes' | 'files';

const hooks: Record<TeardownPhase, (() => void)[]> = { processes: [], files: [] };
let installed = false;
let ran = false;

export function onTeardown(phase: TeardownPhase, hook: () => void): void {
  hooks[phase].push(hook);
  install();
}

function runHooks(): void {
  if (ran) return;
  ran = true;
  for (const hook of [...hooks.processes, ...hooks.files]) {
    try {
      hook();
    } catch {
      // Best effort: one failing hook must not keep the others from running.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runHooks);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      runHooks();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
