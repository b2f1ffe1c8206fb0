import { spawnSync } from 'node:child_process';
import type { ParseArgsOptionsConfig } from 'node:util';

/**
 * A benchmark: runs the aimass path and its baseline in the same process run (absolute times on
 * shared machines are noise; ratios are not), prints a human table, and returns the ratios the
 * runner prints as `RESULT key=value ...`.
 */
export interface Benchmark {
  readonly description: string;
  /** Its command-line options, as node:util's parseArgs takes them; the runner refuses any other. */
  readonly options?: ParseArgsOptionsConfig;
  run(options: BenchOptions): Promise<Record<string, number | string>>;
}

/** The options a run was given, by name, as parseArgs returns them. */
export type BenchOptions = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** The option `name` as a positive integer, `fallback` when it was not given. */
export function positiveInt(options: BenchOptions, name: string, fallback: number): number {
  const given = options[name];
  if (given === undefined) return fallback;
  const v = Number(given);
  if (!Number.isSafeInteger(v) || v < 1)
    throw new Error(`--${name} needs a positive integer, got ${String(given)}`);
  return v;
}

/** The middle value (the upper one of an even count): the figure a run of rounds reports. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  // An even count takes the mean of the two middle values, not the upper one (which flatters a ratio).
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints rows as an aligned table on stdout. */
export function printTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const cells = [header, ...rows].map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  for (const r of cells) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}\n`);
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

/**
 * The first python3 that can import `modules` (e.g. 'sklearn, numpy'); Debian's lives in /usr/bin
 * even when another python3 comes first on PATH. Otherwise an error naming the Debian package.
 */
export function baselinePython(
  modules: string,
  debianPackage: string,
  bench: string,
  baseline: string,
): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error(
    `the ${bench} benchmark needs ${baseline} for its baseline and no python3 here can import it; ` +
      `install it with \`apt-get install -y ${debianPackage}\` (Debian/Ubuntu) and rerun \`npm run bench -- ${bench}\``,
  );
}
