/**
 * The process surface a command touches, so tests run commands in-process: stdout carries only the
 * result (a version number, a table, JSON), stderr carries progress and errors.
 */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env };
