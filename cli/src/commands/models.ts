import { InvalidArgumentError, Option, type Command } from 'commander';
import { ARTIFACT_FORMATS, type registryv1 } from '@aimass/contracts';
import { parseModelCard } from '@aimass/model-card';
import { CONVERSION_TARGETS } from '@aimass/onnx';
import fs from 'node:fs';
import path from 'node:path';
import { pushArtifact } from '../artifact-upload.js';
import { unreadable } from '../errors.js';
import { externalReferencesOf, packOnnxExternal, packTfjsDirectory } from '../artifact-pack.js';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { formatFields, formatPairs, formatTable } from '../table.js';
import { uploadBar } from '../upload-progress.js';

export interface ModelsPushArgs {
  readonly name: string;
  readonly file: string;
  readonly format: string;
  readonly alias?: string | undefined;
  readonly description?: string | undefined;
}

/** Uploads FILE as the next version of NAME and prints only the new version number on stdout. */
export async function modelsPush(
  args: ModelsPushArgs,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<number> {
  const format = await formatOf(args, io);
  const packed = await packFor(format, args.file);
  const bar = uploadBar(io);
  let version: registryv1.ModelVersion__Output;
  try {
    version = await pushArtifact(registry, {
      model: args.name,
      file: packed ?? args.file,
      format,
      alias: args.alias,
      description: args.description,
      ...bar,
    });
  } finally {
    // The bar goes before anything else is printed, success or not.
    bar.stop();
    if (packed) await fs.promises.rm(path.dirname(packed), { recursive: true, force: true });
  }
  io.stdout.write(`${version.version}\n`);
  return version.version;
}

/**
 * The format to push: as given, except that an ONNX graph whose weights live in external-data
 * files goes as onnx-external (graph and shards in one tar), which is what onnxruntime needs.
 */
async function formatOf(args: ModelsPushArgs, io: CliIo): Promise<string> {
  if (args.format !== 'onnx') return args.format;
  const refs = await externalReferencesOf(args.file);
  if (refs.length === 0) return 'onnx';
  const shards = new Set(refs.map((r) => r.location)).size;
  io.stderr.write(
    `${args.file} keeps its weights in ${shards} external-data file${shards === 1 ? '' : 's'}: pushing graph and shards as onnx-external\n`,
  );
  return 'onnx-external';
}

/** A temporary tar for formats made of several files; undefined when FILE goes as it is. */
async function packFor(format: string, file: string): Promise<string | undefined> {
  if (format === 'tfjs') return packTfjsDirectory(file);
  if (format === 'onnx-external' && !file.endsWith('.tar')) return packOnnxExternal(file);
  return undefined;
}

/** Every model (following pagination), optionally only those whose name starts with `prefix`. */
export async function listAllModels(
  registry: registryv1.RegistryServiceClient,
  prefix = '',
): Promise<registryv1.Model__Output[]> {
  const models: registryv1.Model__Output[] = [];
  let pageToken = '';
  do {
    const page = await callUnary<registryv1.ListModelsResponse__Output>((cb) =>
      registry.ListModels({ name_prefix: prefix, page_size: 500, page_token: pageToken }, unaryOptions(), cb),
    );
    models.push(...page.models);
    pageToken = page.next_page_token;
  } while (pageToken);
  return models;
}

export async function modelsList(
  args: { prefix?: string | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const models = await listAllModels(registry, args.prefix ?? '');
  const rows = models.map((m) => [
    m.name,
    m.latest_version ? String(m.latest_version) : '-',
    formatPairs(m.aliases),
    m.updated_at || '-',
  ]);
  io.stdout.write(formatTable(['NAME', 'LATEST', 'ALIASES', 'UPDATED'], rows));
}

export async function modelsShow(
  args: { name: string; card?: boolean | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const model = await callUnary<registryv1.Model__Output>((cb) =>
    registry.GetModel({ name: args.name }, unaryOptions(), cb),
  );
  if (args.card) {
    io.stdout.write(model.model_card ? `${model.model_card.replace(/\n?$/, '\n')}` : '');
    return;
  }
  io.stdout.write(
    formatFields([
      ['name', model.name],
      ['description', model.description || '-'],
      ['owner', model.owner || '-'],
      ['framework', model.framework || '-'],
      ['latest version', model.latest_version ? String(model.latest_version) : '-'],
      ['aliases', formatPairs(model.aliases)],
      ['tags', formatPairs(model.tags)],
      ['created', model.created_at || '-'],
      ['updated', model.updated_at || '-'],
      ['model card', cardSummary(model.model_card)],
    ]),
  );
}

/** One line about the card: its license, who wrote it and its first heading; `--card` prints it whole. */
function cardSummary(text: string): string {
  if (!text) return '-';
  let card;
  try {
    card = parseModelCard(text, { allowVerified: true });
  } catch {
    return `${text.length} characters (does not parse as a card)`;
  }
  const heading = /^#+\s+(.+)$/m.exec(card.body)?.[1];
  return [
    card.metadata.license ? `license ${card.metadata.license}` : 'no license',
    card.metadata.generated_by ? `generated by ${card.metadata.generated_by}` : 'written by hand',
    ...(heading ? [`"${heading}"`] : []),
    '(--card prints it)',
  ].join(', ');
}

/** VerifyModelCard, one line per declared result. */
export async function modelsVerify(
  args: { name: string; version?: string | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const response = await callUnary<registryv1.VerifyModelCardResponse__Output>((cb) =>
    registry.VerifyModelCard({ model: args.name, version: args.version ?? '' }, unaryOptions(), cb),
  );
  const shown = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '-');
  const rows = response.results.map((r) => [
    r.type,
    r.dataset,
    r.rows ? String(r.rows) : '-',
    shown(r.declared),
    shown(r.computed),
    r.verified ? 'yes' : `no: ${r.reason}`,
  ]);
  io.stdout.write(`${args.name} version ${response.version}\n`);
  io.stdout.write(formatTable(['METRIC', 'DATASET', 'ROWS', 'DECLARED', 'RE-RUN', 'VERIFIED'], rows));
}

/**
 * Changes some tags and keeps the others: UpdateModel replaces the tags whole, so this reads them
 * first. The registry validates the result (e.g. a `monitor.detector` that names no model@alias).
 */
export async function modelsTag(
  args: { name: string; tags: readonly string[] },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const changes = args.tags.map((t) => {
    const at = t.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`"${t}": expected KEY=VALUE, or KEY= to remove the tag`);
    return [t.slice(0, at), t.slice(at + 1)] as const;
  });
  const model = await callUnary<registryv1.Model__Output>((cb) =>
    registry.GetModel({ name: args.name }, unaryOptions(), cb),
  );
  const tags: Record<string, string> = { ...model.tags };
  for (const [key, value] of changes) {
    if (value === '') delete tags[key];
    else tags[key] = value;
  }
  const updated = await callUnary<registryv1.Model__Output>((cb) =>
    registry.UpdateModel({ name: args.name, update_mask: ['tags'], tags }, unaryOptions(), cb),
  );
  io.stdout.write(`${formatPairs(updated.tags)}\n`);
}

/** `--tag key=value`, repeatable; collects into one record. */
export function collectTag(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export function parsePageSize(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > 1000)
    throw new InvalidArgumentError('expected a page size from 1 to 1000');
  return Number(value);
}

export interface ModelsCreateArgs {
  readonly name: string;
  readonly description?: string | undefined;
  readonly owner?: string | undefined;
  readonly framework?: string | undefined;
  readonly tag?: Record<string, string> | undefined;
  /** A markdown file whose text becomes the model card. */
  readonly card?: string | undefined;
}

export async function modelsCreate(
  args: ModelsCreateArgs,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.Model__Output> {
  let modelCard = '';
  if (args.card) {
    try {
      modelCard = await fs.promises.readFile(args.card, 'utf8');
    } catch (err) {
      throw unreadable(`the model card ${args.card}`, err);
    }
  }
  const model = await callUnary<registryv1.Model__Output>((cb) =>
    registry.CreateModel(
      {
        name: args.name,
        description: args.description ?? '',
        owner: args.owner ?? '',
        framework: args.framework ?? '',
        tags: args.tag ?? {},
        model_card: modelCard,
      },
      unaryOptions(),
      cb,
    ),
  );
  io.stdout.write(`${model.name}\n`);
  return model;
}

export interface ModelsSearchArgs {
  readonly prefix?: string | undefined;
  readonly tag?: Record<string, string> | undefined;
  readonly framework?: string | undefined;
  readonly owner?: string | undefined;
  readonly orderBy?: string | undefined;
  readonly pageSize?: number | undefined;
  readonly pageToken?: string | undefined;
}

/** One page of matches on stdout; the token of the next page, if any, on stderr. */
export async function modelsSearch(
  args: ModelsSearchArgs,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.ListModelsResponse__Output> {
  const page = await callUnary<registryv1.ListModelsResponse__Output>((cb) =>
    registry.ListModels(
      {
        name_prefix: args.prefix ?? '',
        tags: args.tag ?? {},
        framework: args.framework ?? '',
        owner: args.owner ?? '',
        order_by: args.orderBy ?? '',
        page_size: args.pageSize ?? 50,
        page_token: args.pageToken ?? '',
      },
      unaryOptions(),
      cb,
    ),
  );
  const rows = page.models.map((m) => [
    m.name,
    m.latest_version ? String(m.latest_version) : '-',
    m.framework || '-',
    m.owner || '-',
    formatPairs(m.tags),
    formatPairs(m.aliases),
  ]);
  io.stdout.write(formatTable(['NAME', 'LATEST', 'FRAMEWORK', 'OWNER', 'TAGS', 'ALIASES'], rows));
  io.stderr.write(
    `${page.models.length} of ${page.total_size} matching models${page.next_page_token ? `; next page: --page-token ${page.next_page_token}` : ''}\n`,
  );
  return page;
}

export function registerModelsCommands(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('models in the registry');

  models
    .command('push')
    .description(
      'upload a model file as the next version of NAME (creating NAME if new); prints the version number',
    )
    .argument('<NAME>', 'model name')
    .argument(
      '<FILE>',
      'model artifact: an .onnx file (one whose weights live in external-data files goes with them, as onnx-external), or with --format tfjs the directory holding model.json and its weight files',
    )
    .option('--alias <ALIAS>', 'point this alias at the new version once it is stored')
    .addOption(new Option('--format <FORMAT>', 'artifact format').choices(ARTIFACT_FORMATS).default('onnx'))
    .option('--description <TEXT>', 'model description (used when the model is created)')
    .action(
      async (name: string, file: string, opts: { alias?: string; format: string; description?: string }) => {
        await modelsPush({ name, file, ...opts }, await ctx.registry(), ctx.io);
      },
    );

  models
    .command('list')
    .description('list models: name, latest version, aliases, last update')
    .option('--prefix <PREFIX>', 'only models whose name starts with PREFIX')
    .action(async (opts: { prefix?: string }) => modelsList(opts, await ctx.registry(), ctx.io));

  models
    .command('create')
    .description('create model NAME with its metadata (pushing a first version also creates it)')
    .argument('<NAME>', 'model name')
    .option('--description <TEXT>', 'one-line description')
    .option('--owner <OWNER>', 'team or person that owns the model')
    .option('--framework <FRAMEWORK>', 'e.g. onnx, tfjs, sklearn')
    .option('--tag <KEY=VALUE>', 'a tag; repeat for more', collectTag)
    .option('--card <FILE>', 'markdown file with the model card')
    .action(async (name: string, opts: Omit<ModelsCreateArgs, 'name'>) => {
      await modelsCreate({ name, ...opts }, await ctx.registry(), ctx.io);
    });

  models
    .command('search')
    .description('one page of models matching every filter given; the next page token goes to stderr')
    .option('--prefix <PREFIX>', 'name starts with PREFIX')
    .option('--tag <KEY=VALUE>', 'has this tag; repeat for more', collectTag)
    .option('--framework <FRAMEWORK>', 'framework is FRAMEWORK')
    .option('--owner <OWNER>', 'owner is OWNER')
    .option('--order-by <KEY>', 'name, created_at or updated_at; a leading - sorts descending')
    .option('--page-size <N>', 'models per page (1-1000, default 50)', parsePageSize)
    .option('--page-token <TOKEN>', 'continue from a previous page')
    .action(async (opts: ModelsSearchArgs) => {
      await modelsSearch(opts, await ctx.registry(), ctx.io);
    });

  models
    .command('convert')
    .description(
      'write a compressed copy of NAME VERSION (or, --to onnx, the ONNX form of a tfjs layers version) as the next version (lineage to its source); reports sizes and output difference on stderr, prints the new version',
    )
    .argument('<NAME>', 'model name')
    .argument('<VERSION>', 'version number or alias')
    .addOption(
      new Option('--to <TARGET>', 'a compression of an ONNX version, or onnx for a tfjs layers version')
        .choices(CONVERSION_TARGETS)
        .makeOptionMandatory(),
    )
    .option(
      '--calibration <DATASET>',
      "registered dataset (NAME or NAME@VERSION) to compare on; default: rows drawn from the version's reference statistics",
      parseCalibration,
    )
    .action(
      async (
        name: string,
        version: string,
        opts: { to: string; calibration?: { name: string; version: number } },
      ) => {
        await modelsConvert({ name, version, ...opts }, await ctx.registry(), ctx.io);
      },
    );

  models
    .command('verify')
    .description(
      're-run the results the model card declares on a version, mark them verified or not in the card, and print them',
    )
    .argument('<NAME>', 'model name')
    .argument('[VERSION]', 'version number or alias (default: production, else the latest)')
    .action(async (name: string, version: string | undefined) => {
      await modelsVerify({ name, version }, await ctx.registry(), ctx.io);
    });

  models
    .command('tag')
    .description('set (KEY=VALUE) or remove (KEY=) tags of a model; prints the tags after')
    .argument('<NAME>', 'model name')
    .argument('<TAGS...>', 'KEY=VALUE to set, KEY= to remove')
    .action(async (name: string, tags: string[]) => {
      await modelsTag({ name, tags }, await ctx.registry(), ctx.io);
    });

  models
    .command('show')
    .description("show one model's metadata")
    .argument('<NAME>', 'model name')
    .option('--card', 'print the model card (markdown with YAML front matter) instead')
    .action(async (name: string, opts: { card?: boolean }) =>
      modelsShow({ name, card: opts.card }, await ctx.registry(), ctx.io),
    );
}

export interface ModelsConvertArgs {
  readonly name: string;
  readonly version: string;
  readonly to: string;
  readonly calibration?: { readonly name: string; readonly version: number } | undefined;
}

/**
 * Asks the registry for a compressed copy of NAME VERSION; the report (sizes, calibration rows,
 * output difference per output) goes to stderr and the new version number alone to stdout.
 */
export async function modelsConvert(
  args: ModelsConvertArgs,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.ConvertModelVersionResponse__Output> {
  const report = await callUnary<registryv1.ConvertModelVersionResponse__Output>((cb) =>
    registry.ConvertModelVersion(
      {
        model: args.name,
        version: args.version,
        to: args.to,
        calibration_dataset: args.calibration?.name ?? '',
        calibration_dataset_version: args.calibration?.version ?? 0,
      },
      unaryOptions(),
      cb,
    ),
  );
  const source = Number(report.source_size_bytes);
  const size = Number(report.size_bytes);
  const percent = (x: number) => `${(x * 100).toFixed(3)}%`;
  io.stderr.write(
    formatFields([
      [
        'converted',
        `${report.version?.lineage?.converted_from ?? args.name} → version ${report.version?.version} (${args.to})`,
      ],
      ['size', `${source} → ${size} bytes (${(source / size).toFixed(2)}x smaller)`],
      ['calibration', `${report.calibration_rows} rows from ${report.calibration}`],
      ...report.outputs.map(
        (o) =>
          [
            `output ${o.name}`,
            `max ${percent(o.max_relative)}, mean ${percent(o.mean_relative)} relative difference`,
          ] as [string, string],
      ),
    ]),
  );
  io.stdout.write(`${report.version?.version}\n`);
  return report;
}

/** `--calibration NAME` or `NAME@VERSION`. */
export function parseCalibration(value: string): { name: string; version: number } {
  const match = /^([^@]+)(?:@([1-9][0-9]*))?$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected a dataset NAME or NAME@VERSION');
  return { name: match[1]!, version: match[2] ? Number(match[2]) : 0 };
}
