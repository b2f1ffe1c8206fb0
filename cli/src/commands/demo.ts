import type { oip } from '@aimass/contracts';
import { denseForward, exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { SeededRandom } from '@aimass/random';
import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { pushArtifact } from '../artifact-upload.js';
import type { CliContext } from '../cli-context.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { decodeInferResponse } from '../infer-request.js';
import { findRepoRoot } from '../stack-env.js';
import { galleryInStore } from './gallery.js';
import { formatInferTable } from './predict.js';

export const DEMO_MODEL = 'demo-dense';
const INPUT_DIM = 8;

export interface DemoArgs {
  readonly requests: number;
  readonly batch: number;
}

/**
 * The `npm start` demo: exports a small dense network with libs/onnx (nothing is trained yet), pushes
 * it as `demo-dense` with the production alias, sends predictions over OIP v2, checks every answer
 * against a plain JavaScript forward pass, and says where to look next.
 */
export async function runDemo(args: DemoArgs, ctx: CliContext): Promise<void> {
  const { io } = ctx;
  const spec = randomDenseNetwork({
    inputDim: INPUT_DIM,
    hidden: [32, 16],
    outputDim: 3,
    seed: 2026,
    activation: 'relu',
    outputActivation: 'softmax',
  });
  const dir = path.join(findRepoRoot() ?? process.cwd(), '.aimass', 'demo');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${DEMO_MODEL}.onnx`);
  fs.writeFileSync(file, exportDenseNetwork(spec));
  io.stdout.write(`exported ${file} (dense ${INPUT_DIM}-32-16-3, softmax)\n`);

  const version = await pushArtifact(await ctx.registry(), {
    model: DEMO_MODEL,
    file,
    format: 'onnx',
    alias: 'production',
    description: 'aimass demo model',
  });
  io.stdout.write(
    `pushed ${DEMO_MODEL} version ${version.version} (sha256 ${version.sha256.slice(0, 12)}…), alias production\n`,
  );

  const inference = await ctx.inference();
  const random = new SeededRandom(7);
  let worst = 0;
  let first: ReturnType<typeof decodeInferResponse> | undefined;
  const started = performance.now();
  for (let i = 0; i < args.requests; i++) {
    const x = Float32Array.from({ length: args.batch * INPUT_DIM }, () => random.next() * 4 - 2);
    const request: oip.ModelInferRequest = {
      model_name: DEMO_MODEL,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [args.batch, INPUT_DIM] }],
      raw_input_contents: [Buffer.from(x.buffer)],
    };
    const result = decodeInferResponse(
      await callUnary<oip.ModelInferResponse__Output>((cb) =>
        inference.ModelInfer(request, unaryOptions(), cb),
      ),
    );
    first ??= result;
    const expected = denseForward(spec, x, args.batch);
    const served = result.outputs[0]!.data as number[];
    for (let j = 0; j < expected.length; j++) worst = Math.max(worst, Math.abs(served[j]! - expected[j]!));
  }
  const ms = performance.now() - started;
  if (first) io.stdout.write(`\nfirst prediction:\n${formatInferTable(first)}`);
  io.stdout.write(
    `\n${args.requests} predictions of batch ${args.batch} in ${ms.toFixed(0)} ms; ` +
      `largest difference from a plain JavaScript forward pass: ${worst.toExponential(2)}\n`,
  );
  const inStore = await galleryInStore(await ctx.registry());
  io.stdout.write(
    inStore.length > 0
      ? `\npre-trained gallery in the store, served now: ${inStore.join(', ')} (pnpm aimass models show NAME --card)\n`
      : '\nno pre-trained gallery in the store yet: npm run gallery trains and publishes it (MNIST AE, VAE, GAN; iris GMM)\n',
  );
  const http = ctx.httpEndpoints();
  io.stdout.write(
    [
      '',
      'where to look:',
      `  monitor dashboard   ${http.monitor}/  (JSON: ${http.monitor}/api/models)`,
      `  inference metrics   ${http.inferenceMetrics}/metrics`,
      `  traces              every prediction is a span "ModelInfer"; set AIMASS_OTLP_ENDPOINT to a collector (Jaeger: http://127.0.0.1:4318)`,
      `  try it yourself     pnpm aimass predict ${DEMO_MODEL} --input <file.json>   (see pnpm aimass predict --help)`,
      '',
    ].join('\n'),
  );
}

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('export a small dense model, push it, send predictions and check them (used by npm start)')
    .option('--requests <N>', 'number of prediction requests', (v) => Number.parseInt(v, 10), 20)
    .option('--batch <N>', 'rows per request', (v) => Number.parseInt(v, 10), 4)
    .action(async (opts: DemoArgs) => {
      await runDemo(opts, ctx);
    });
}
