import { SingleBar } from 'cli-progress';
import type { UploadProgress } from './artifact-upload.js';
import type { CliIo } from './cli-io.js';
import { formatBytes } from './table.js';

/** A byte-progress display for one file through several phases (hash, then upload). */
export interface ByteProgress {
  phase(name: string): void;
  update(done: number): void;
  stop(): void;
}

const SILENT: ByteProgress = { phase() {}, update() {}, stop() {} };

/** A bar on stderr when stderr is a terminal; nothing otherwise, so logs and pipes stay clean. */
export function byteProgress(io: CliIo, total: number): ByteProgress {
  if (!io.stderr.isTTY) return SILENT;
  const bar = new SingleBar({
    stream: io.stderr,
    format: '{phase} [{bar}] {percentage}% | {doneText} / {totalText}',
    hideCursor: true,
    clearOnComplete: true,
    barsize: 30,
  });
  const totalText = formatBytes(total);
  let started = false;
  return {
    phase(name) {
      if (!started) bar.start(total, 0, { phase: name.padEnd(6), doneText: formatBytes(0), totalText });
      else bar.update(0, { phase: name.padEnd(6), doneText: formatBytes(0) });
      started = true;
    },
    update(done) {
      bar.update(done, { doneText: formatBytes(done) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** The progress callbacks of an upload (hash, then upload) drawn as one bar; `stop` clears it. */
export function uploadBar(io: CliIo): UploadProgress & { stop(): void } {
  let progress: ByteProgress | undefined;
  return {
    onPhase: (phase, total) => {
      progress ??= byteProgress(io, total);
      progress.phase(phase === 'hash' ? 'sha256' : 'upload');
    },
    onProgress: (done) => progress?.update(done),
    stop: () => progress?.stop(),
  };
}
