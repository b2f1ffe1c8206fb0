import { InvalidArgumentError, Option, type Command } from 'commander';
import type { registryv1 } from '@aimass/contracts';
import path from 'node:path';
import { uploadFile } from '../artifact-upload.js';
import { InputFileError } from '../errors.js';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { formatBytes, formatFields, formatTable } from '../table.js';
import { uploadBar } from '../upload-progress.js';

export const DATASET_FILE_FORMATS = ['csv', 'npy', 'json', 'jsonl', 'parquet'] as const;

export interface DataPushArgs {
  readonly file: string;
  readonly name: string;
  readonly format?: string | undefined;
  readonly header: boolean;
  readonly description?: string | undefined;
}

/** The format a file's extension names (`.ndjson` is JSON lines), or undefined. */
export function formatOfFile(file: string): string | undefined {
  const ext = path.extname(file).slice(1).toLowerCase();
  if (ext === 'ndjson') return 'jsonl';
  return (DATASET_FILE_FORMATS as readonly string[]).includes(ext) ? ext : undefined;
}

/** Streams FILE to the registry as the next version of dataset NAME; prints `NAME VERSION` on stdout. */
export async function dataPush(
  args: DataPushArgs,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.Dataset__Output> {
  const format = args.format ?? formatOfFile(args.file);
  if (!format)
    throw new InputFileError(
      `cannot tell the format of ${args.file} from its extension; name it with --format (${DATASET_FILE_FORMATS.join(', ')})`,
    );
  const bar = uploadBar(io);
  let dataset: registryv1.Dataset__Output;
  try {
    dataset = await uploadFile(
      (reply) => registry.PushDataset(reply),
      (size, sha256): registryv1.PushDatasetHeader => ({
        name: args.name,
        format,
        size_bytes: String(size),
        sha256,
        description: args.description ?? '',
        no_header: !args.header,
      }),
      args.file,
      bar,
    );
  } finally {
    bar.stop();
  }
  io.stderr.write(
    `${dataset.rows} rows × ${dataset.column_count} columns, ${formatBytes(Number(dataset.size_bytes))}, sha256 ${dataset.sha256}\n`,
  );
  io.stdout.write(`${dataset.name} ${dataset.version}\n`);
  return dataset;
}

/** Without NAME, the latest version of every dataset; with it, every version of NAME. */
export async function dataList(
  args: { name?: string | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const { datasets } = await callUnary<registryv1.ListDatasetsResponse__Output>((cb) =>
    registry.ListDatasets({ name: args.name ?? '' }, unaryOptions(), cb),
  );
  const rows = datasets.map((d) => [
    d.name,
    String(d.version),
    d.format,
    String(d.rows),
    String(d.column_count),
    formatBytes(Number(d.size_bytes)),
    d.sha256.slice(0, 12),
    d.created_at,
  ]);
  io.stdout.write(
    formatTable(['NAME', 'VERSION', 'FORMAT', 'ROWS', 'COLUMNS', 'SIZE', 'SHA256', 'CREATED'], rows),
  );
}

const stat = (n: number) => (Number.isInteger(n) ? String(n) : n.toPrecision(5));

/** One version (the latest by default): its facts, then a table of its columns' statistics. */
export async function dataShow(
  args: { name: string; version?: number | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.Dataset__Output> {
  const d = await callUnary<registryv1.Dataset__Output>((cb) =>
    registry.GetDataset({ name: args.name, version: args.version ?? 0 }, unaryOptions(), cb),
  );
  io.stdout.write(
    formatFields([
      ['dataset', d.name],
      ['version', String(d.version)],
      ['format', d.format],
      ['rows', String(d.rows)],
      ['columns', String(d.column_count)],
      ['size', `${formatBytes(Number(d.size_bytes))} (${d.size_bytes} bytes)`],
      ['sha256', d.sha256],
      ['description', d.description || '-'],
      ['created', `${d.created_at} by ${d.actor}`],
      ['object', d.object_key],
    ]),
  );
  io.stdout.write('\n');
  io.stdout.write(
    formatTable(
      ['COLUMN', 'MEAN', 'STD', 'MIN', 'MAX'],
      d.columns.map((c) => [c.name, stat(c.mean), stat(c.stddev), stat(c.min), stat(c.max)]),
    ),
  );
  return d;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`"${value}" is not a version number (1, 2, ...)`);
  return n;
}

export function registerDataCommands(program: Command, ctx: CliContext): void {
  const data = program.command('data').description('datasets in the registry: push, list and show');

  data
    .command('push')
    .description('upload FILE as the next version of dataset NAME; prints "NAME VERSION"')
    .argument('<FILE>', 'a CSV, NPY, JSON, JSON-lines or Parquet file')
    .requiredOption('--name <NAME>', 'dataset name')
    .addOption(
      new Option('--format <FORMAT>', 'file format (default: from the extension)').choices([
        ...DATASET_FILE_FORMATS,
      ]),
    )
    .option('--no-header', 'CSV: the first line is data, not column names')
    .option('--description <TEXT>', 'what the data is')
    .action(
      async (
        file: string,
        opts: { name: string; format?: string; header: boolean; description?: string },
      ) => {
        await dataPush({ file, ...opts }, await ctx.registry(), ctx.io);
      },
    );

  data
    .command('list')
    .description('the latest version of every dataset, or every version of NAME')
    .argument('[NAME]', 'dataset name')
    .action(async (name: string | undefined) => dataList({ name }, await ctx.registry(), ctx.io));

  data
    .command('show')
    .description("one version's facts and per-column statistics")
    .argument('<NAME>', 'dataset name')
    .argument('[VERSION]', 'version number (default: the latest)', parsePositive)
    .action(async (name: string, version: number | undefined) => {
      await dataShow({ name, version }, await ctx.registry(), ctx.io);
    });
}
