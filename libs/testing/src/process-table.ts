import fs from 'node:fs';

/**
 * What the OS says about a pid. An exited child whose parent died stays a zombie until init reaps
 * it, and kill(pid, 0) still succeeds on it, so on Linux a zombie counts as gone.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return readStat(pid)?.state !== 'Z';
}

/** The kernel's start time of `pid` (Linux /proc); '' when unknown. Tells a reused pid apart. */
export function processStartTime(pid: number): string {
  return readStat(pid)?.startTime ?? '';
}

/** Fields of /proc/<pid>/stat after the parenthesised command name: state is 3rd, starttime 22nd. */
function readStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
}
