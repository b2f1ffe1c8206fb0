// `npm run bench -- gpu [--rows N] [--epochs E] [--batches 256,1024,4096]`: the trainer's own loop on
// the best backend this host has (WebGPU on a GPU; wasm or cpu elsewhere) at three batch sizes,
// against a bare tfjs model.fit on the same backend and PyTorch (CUDA when it has a GPU) on the same
// machine. The node bundle runs the same code as `./aimass-trainer bench gpu`.
import { type Benchmark, positiveInt } from './benchmark.js';

interface GpuThroughputModule {
  runGpuBenchmark(
    options: { rows: number; batchSizes: number[]; epochs: number },
    print: (line: string) => void,
  ): Promise<Record<string, number | string>>;
}

const trainerDist = new URL('../../services/trainer/dist/', import.meta.url);

const bench: Benchmark = {
  description: 'trainer loop on the best backend vs bare tfjs fit and PyTorch (same AE, same machine)',
  options: { rows: { type: 'string' }, epochs: { type: 'string' }, batches: { type: 'string' } },
  async run(args) {
    const batchSizes = String(args.batches ?? '256,1024,4096')
      .split(',')
      .map((b) => positiveInt({ batches: b }, 'batches', 1024));
    const { runGpuBenchmark } = (await import(
      new URL('benchmarks/gpu-throughput.js', trainerDist).href
    )) as GpuThroughputModule;
    return runGpuBenchmark(
      { rows: positiveInt(args, 'rows', 60_000), batchSizes, epochs: positiveInt(args, 'epochs', 2) },
      (line) => process.stdout.write(`${line}\n`),
    );
  },
};
export default bench;
