// The gpu benchmark (`npm run bench -- gpu`, and `./aimass-trainer bench gpu` in the node bundle):
// the trainer's own loop on the best backend this host has, against a bare tfjs `model.fit` of the
// same autoencoder on the same backend, and PyTorch on the same machine when python3 can import it.
import { loadConfig } from '@aimass/config';
import { SeededRandom } from '@aimass/random';
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { prepare } from '../datasets/preprocessing.js';
import { ComputeBackendRepository } from '../repositories/compute-backend.repository.js';
import { describeAdapter } from '../repositories/webgpu-device.js';
import { validateSpec } from '../dtos/job-spec.dto.js';
import { TORCH_AUTOENCODER } from './torch-autoencoder.js';
import { trainNetwork } from '../training/network-training.js';

export interface GpuBenchmarkOptions {
  readonly rows: number;
  readonly batchSizes: readonly number[];
  /** Epochs per batch size; the last one is timed (the first pays for shader compilation). */
  readonly epochs: number;
}

export type GpuBenchmarkResult = Record<string, number | string>;

const FEATURES = 784;
const HIDDEN = 256;
const LATENT = 32;

/** Runs every configuration, prints a table and the adapter, and returns the RESULT fields. */
export async function runGpuBenchmark(
  options: GpuBenchmarkOptions,
  print: (line: string) => void,
): Promise<GpuBenchmarkResult> {
  // The benchmark wants the best backend whatever pool this host is configured for.
  const config = loadConfig({ ...pickAimassEnv(), AIMASS_TRAINER_POOL: 'cpu' });
  const repository = new ComputeBackendRepository(config);
  const backend = await repository.select();
  print(
    `backend: ${backend.name}${backend.adapter ? `; adapter: ${describeAdapter(backend.adapter)} (${backend.adapter.description})` : ''}`,
  );

  // Uniform pixels in [0, 1): the same distribution the PyTorch side draws; throughput does not depend on the values.
  const random = new SeededRandom(7);
  const values = Float32Array.from({ length: options.rows * FEATURES }, () => random.next());
  const data = prepare(
    { rows: options.rows, features: FEATURES, values, digest: 'bench', description: 'uniform pixels' },
    { scaling: 'none', validationSplit: 0.02, seed: 42 },
  );

  const table: Array<[string, number, string]> = [];
  const loop: Record<number, number> = {};
  for (const batch of options.batchSizes) {
    const spec = validateSpec({
      family: 'ae',
      dataset: { builtin: 'sine_waves', rows: options.rows, features: FEATURES },
      architecture: {
        hidden: [HIDDEN],
        latent_dim: LATENT,
        activation: 'relu',
        output_activation: 'sigmoid',
      },
      preprocessing: { scaling: 'none', validation_split: 0.02 },
      optimizer: { name: 'adam', learning_rate: 0.001 },
      epochs: options.epochs,
      batch_size: batch,
      checkpoint_every: 100_000,
    });
    let sps = 0;
    let loss = Number.NaN;
    await trainNetwork(
      `bench-gpu-${batch}`,
      spec,
      data,
      undefined,
      {
        shouldStop: () => false,
        onEpoch: async (report) => {
          sps = report.samplesPerSecond;
          loss = report.losses.loss ?? Number.NaN;
        },
        saveCheckpoint: async () => undefined,
      },
      repository.training(backend),
    );
    loop[batch] = sps;
    table.push([`aimass trainer loop, batch ${batch}`, sps, `loss ${loss.toFixed(4)}`]);
  }

  const fitBatch = options.batchSizes.includes(1024) ? 1024 : (options.batchSizes[0] as number);
  const bare = await bareFit(data.train, data.trainRows, fitBatch, options.epochs);
  table.push([`bare tfjs model.fit, batch ${fitBatch}`, bare, `same backend (${backend.name})`]);

  const torch = runTorch(options.rows, options.batchSizes);
  if (torch) {
    for (const batch of options.batchSizes)
      table.push([
        `PyTorch ${torch.torch} on ${torch.device}, batch ${batch}`,
        torch.sps[String(batch)] ?? 0,
        `${torch.threads} CPU threads`,
      ]);
  } else {
    table.push(['PyTorch', 0, 'absent: python3 cannot import torch here']);
  }
  const width = Math.max(...table.map(([name]) => name.length));
  print(`${'configuration'.padEnd(width)}  samples/s  note`);
  for (const [name, sps, note] of table)
    print(`${name.padEnd(width)}  ${Math.round(sps).toString().padStart(9)}  ${note}`);

  const result: GpuBenchmarkResult = { backend: backend.name };
  for (const batch of options.batchSizes) result[`sps_${batch}`] = Math.round(loop[batch] ?? 0);
  result.vs_bare_fit = (loop[fitBatch] ?? 0) / bare;
  const torchCuda = torch && torch.device !== 'cpu' ? torch.sps['1024'] : undefined;
  if (torchCuda && loop[1024]) result.vs_torch_cuda_1024 = loop[1024] / torchCuda;
  return result;
}

/** Keras-style training of the same network on the same rows: what a tfjs user would write. */
async function bareFit(train: Float32Array, rows: number, batch: number, epochs: number): Promise<number> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [FEATURES], units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: LATENT }),
      tf.layers.dense({ units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: FEATURES, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
  const x = tf.tensor2d(train, [rows, FEATURES]);
  let began = 0;
  let seconds = 0;
  try {
    await model.fit(x, x, {
      batchSize: batch,
      epochs,
      verbose: 0,
      callbacks: {
        onEpochBegin: async () => {
          began = performance.now();
        },
        onEpochEnd: async () => {
          seconds = (performance.now() - began) / 1000;
        },
      },
    });
    return rows / seconds;
  } finally {
    x.dispose();
    model.dispose();
  }
}

interface TorchResult {
  torch: string;
  device: string;
  threads: number;
  sps: Record<string, number>;
}

function runTorch(rows: number, batchSizes: readonly number[]): TorchResult | undefined {
  const python = ['python3', '/usr/bin/python3'].find(
    (p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) return undefined;
  const out = execFileSync(python, ['-c', TORCH_AUTOENCODER, String(rows), batchSizes.join(','), '3'], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as TorchResult;
}

/** The AIMASS_* variables of this process (loadConfig refuses unknown AIMASS_ keys, and reads only those). */
function pickAimassEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith('AIMASS_') && e[1] !== undefined,
    ),
  );
}
