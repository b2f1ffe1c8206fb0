// The command of the offline node bundle (`npm run bundle -- trainer`), `./aimass-trainer`:
//   ./aimass-trainer                     the trainer service, configured by AIMASS_* variables
//   ./aimass-trainer bench gpu [options] the gpu benchmark (see benchmarks/gpu-throughput.ts)
import { parseArgs } from 'node:util';

const USAGE = `usage: aimass-trainer                  start a trainer node (settings: AIMASS_* environment variables)
       aimass-trainer bench gpu [--rows N] [--epochs E] [--batches 256,1024,4096]
                                        train the benchmark autoencoder on the best backend here, against a bare
                                        tfjs fit and PyTorch when python3 can import it; the last line is RESULT ...`;

const [command, ...rest] = process.argv.slice(2);
if (command === undefined) {
  await import('./main.js');
} else if (command === 'bench' && rest[0] === 'gpu') {
  const { values } = parseArgs({
    args: rest.slice(1),
    options: { rows: { type: 'string' }, epochs: { type: 'string' }, batches: { type: 'string' } },
    strict: true,
  });
  const count = (v: string | undefined, fallback: number): number => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${v}`);
    return n;
  };
  const { runGpuBenchmark } = await import('./benchmarks/gpu-throughput.js');
  const result = await runGpuBenchmark(
    {
      rows: count(values.rows, 60_000),
      epochs: count(values.epochs, 2),
      batchSizes: (values.batches ?? '256,1024,4096').split(',').map((b) => count(b, 1024)),
    },
    (line) => process.stdout.write(`${line}\n`),
  ).catch((err: Error) => {
    process.stderr.write(`aimass-trainer bench gpu: ${err.message}\n`);
    process.exit(1);
  });
  const fields = Object.entries(result).map(
    ([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`,
  );
  process.stdout.write(`RESULT ${fields.join(' ')}\n`);
  process.exit(0);
} else {
  process.stderr.write(`${USAGE}\n`);
  process.exit(command === '--help' || command === '-h' ? 0 : 2);
}
