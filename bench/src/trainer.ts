// `npm run bench -- trainer [--rows N] [--epochs E] [--rounds R]`: the aimass training engine
// (services/trainer trainTfjs: per-batch cancel checks and event-loop yields, loss bookkeeping,
// per-epoch validation and a checkpoint snapshot) against a bare tfjs `model.fit` of the same
// autoencoder (784-256-32-256-784, Adam, MSE) on the same MNIST rows, batch size and backend, in
// the same process. Rounds alternate so drift on a shared machine hits both sides alike.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { type Benchmark, median, positiveInt, printTable } from './benchmark.js';

interface EngineModule {
  trainTfjs(
    jobId: string,
    spec: unknown,
    data: unknown,
    resume: undefined,
    hooks: unknown,
    placement: { defaultBatchSize: number; maxResidentBytes: number },
  ): Promise<{ epochsRun: number }>;
}
interface SpecModule {
  validateSpec(spec: unknown): unknown;
}
interface DataModules {
  loadBuiltin(name: string, rows: number, features: number | undefined, seed: number): unknown;
  prepare(
    dataset: unknown,
    options: unknown,
  ): {
    train: Float32Array;
    trainRows: number;
    validation: Float32Array;
    validationRows: number;
    features: number;
  };
}

const BATCH = 64;
/** As a wasm trainer node places a job (compute-backend.repository.ts); the spec names BATCH anyway. */
const PLACEMENT = { defaultBatchSize: BATCH, maxResidentBytes: 1024 ** 3 };
const trainerDist = new URL('../../services/trainer/dist/', import.meta.url);
const load = <T>(path: string) => import(new URL(path, trainerDist).href) as Promise<T>;

const bench: Benchmark = {
  description: 'aimass training engine vs bare tfjs fit (same AE, data, batch and backend)',
  options: { rows: { type: 'string' }, epochs: { type: 'string' }, rounds: { type: 'string' } },
  async run(args) {
    const rows = positiveInt(args, 'rows', 2500);
    const epochs = positiveInt(args, 'epochs', 2);
    const rounds = positiveInt(args, 'rounds', 5);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
    await tf.ready();

    const { trainTfjs } = await load<EngineModule>('training/tfjs-training.js');
    const { validateSpec } = await load<SpecModule>('services/job-submission.service.js');
    const { loadBuiltin } = await load<Pick<DataModules, 'loadBuiltin'>>('datasets/builtin-datasets.js');
    const { prepare } = await load<Pick<DataModules, 'prepare'>>('datasets/preprocessing.js');

    const spec = validateSpec({
      family: 'ae',
      dataset: { builtin: 'mnist', rows },
      architecture: { hidden: [256], latent_dim: 32, activation: 'relu', output_activation: 'sigmoid' },
      preprocessing: { scaling: 'none', validation_split: 0.2 },
      optimizer: { name: 'adam', learning_rate: 0.001 },
      epochs,
      batch_size: BATCH,
    });
    const data = prepare(loadBuiltin('mnist', rows, undefined, 1), {
      scaling: 'none',
      validationSplit: 0.2,
      seed: 42,
    });
    const samples = data.trainRows * epochs;

    const aimass = async () => {
      const began = performance.now();
      await trainTfjs(
        `bench-${began}`,
        spec,
        data,
        undefined,
        {
          shouldStop: () => false,
          onEpoch: async () => undefined,
          saveCheckpoint: async () => undefined,
        },
        PLACEMENT,
      );
      return samples / ((performance.now() - began) / 1000);
    };

    const bare = async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu' }),
          tf.layers.dense({ units: 32 }),
          tf.layers.dense({ units: 256, activation: 'relu' }),
          tf.layers.dense({ units: 784, activation: 'sigmoid' }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError' });
      const x = tf.tensor2d(data.train, [data.trainRows, 784]);
      const v = tf.tensor2d(data.validation, [data.validationRows, 784]);
      const began = performance.now();
      await model.fit(x, x, { epochs, batchSize: BATCH, shuffle: true, validationData: [v, v], verbose: 0 });
      const sps = samples / ((performance.now() - began) / 1000);
      tf.dispose([x, v]);
      model.dispose();
      return sps;
    };

    // Warm-up: the first run of either pays for wasm kernel compilation.
    await bare();
    const results: Array<[string, number, number]> = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which side goes first, so a load change mid-round favours neither.
      const [a, b] =
        r % 2 === 0 ? [await aimass(), await bare()] : await bare().then(async (b2) => [await aimass(), b2]);
      results.push([`round ${r + 1}`, a as number, b as number]);
    }
    printTable(
      ['round', 'aimass samples/s', 'tfjs fit samples/s', 'aimass / fit'],
      results.map(([name, a, b]) => [name, a, b, a / b]),
    );
    // Per-round ratios, median: the two sides of a round share the machine's load at that moment.
    const ratio = median(results.map(([, a, b]) => a / b));
    const aimassBest = Math.max(...results.map((row) => row[1]));
    const fitBest = Math.max(...results.map((row) => row[2]));
    process.stdout.write(
      `backend ${tf.getBackend()}, ${data.trainRows} rows x ${epochs} epochs, batch ${BATCH}\n`,
    );
    return { overhead: Math.max(0, 1 - ratio), aimass_sps: aimassBest, fit_sps: fitBest };
  },
};

export default bench;
