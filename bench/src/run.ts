// `npm run bench -- NAME [options]` runs bench/src/NAME.ts. Every benchmark measures its baseline in
// the same run and returns ratios; this runner prints them as the last line:
//   RESULT key=value key=value ...   (plain decimals)
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Benchmark } from './benchmark.js';

const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.js') && !['run.js', 'benchmark.js'].includes(f) && !f.includes('.spec.'))
  .map((f) => basename(f, '.js'))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(
    `usage: npm run bench -- NAME [options]\navailable: ${available.join(', ') || '(none)'}\n`,
  );
  process.exit(2);
}

const bench = ((await import(`./${name}.js`)) as { default: Benchmark }).default;
let options;
try {
  options = parseArgs({ args, options: bench.options ?? {}, strict: true, allowPositionals: false }).values;
} catch (err) {
  const known = Object.keys(bench.options ?? {}).map((o) => `--${o}`);
  process.stderr.write(`${(err as Error).message}\n${name} takes: ${known.join(' ') || 'no options'}\n`);
  process.exit(2);
}
const result = await bench.run(options);
const line = Object.entries(result)
  .map(
    ([k, v]) =>
      `${k}=${typeof v === 'string' || Number.isInteger(v) ? v : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '')}`,
  )
  .join(' ');
process.stdout.write(`RESULT ${line}\n`);
process.exit(0);
