import type { Command } from 'commander';
import type { registryv1 } from '@aimass/contracts';
import { downloadArtifact } from '../artifact-download.js';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { formatBytes, formatFields, formatTable } from '../table.js';
import { byteProgress, type ByteProgress } from '../upload-progress.js';
import { parseVersionNumber } from './alias.js';

function signatureLines(specs: readonly registryv1.TensorSpec__Output[]): string {
  if (specs.length === 0) return '-';
  return specs.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join('; ');
}

const pairs = (map: Readonly<Record<string, string | number>>) =>
  Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, value]) => `${k}=${typeof value === 'number' ? Number(value.toPrecision(6)) : value}`)
    .join(', ');

/** Where the version came from: the job (or study), the data it saw, its settings and final metrics. */
function lineageFields(v: registryv1.ModelVersion__Output): [string, string][] {
  const l = v.lineage;
  if (!l) return [];
  const dataset = [v.tags['aimass.dataset'], l.dataset_digest && `sha256 ${l.dataset_digest}`].filter(
    Boolean,
  );
  const fields: [string, string][] = [
    ['job', l.source_job_id || '-'],
    ['study', l.study_id || '-'],
    ['dataset', dataset.length > 0 ? dataset.join(', ') : '-'],
    ['parent', l.parent_version ? String(l.parent_version) : '-'],
    ['hyperparameters', pairs(l.hyperparameters) || '-'],
    ['metrics', pairs(l.metrics) || '-'],
  ];
  // An anomaly scorer's is_anomaly is score > threshold, a percentile of its training rows' scores.
  const threshold = l.metrics.threshold;
  if (threshold !== undefined) {
    const percentile = l.hyperparameters.threshold_percentile;
    fields.push([
      'threshold',
      `${Number(threshold.toPrecision(6))}${percentile ? ` (${percentile}th percentile of the training scores; is_anomaly = score > threshold)` : ''}`,
    ]);
  }
  return fields;
}

export async function versionsList(
  args: { name: string },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const { versions } = await callUnary<registryv1.ListVersionsResponse__Output>((cb) =>
    registry.ListVersions({ model: args.name }, unaryOptions(), cb),
  );
  const rows = versions.map((v) => [
    String(v.version),
    v.state,
    v.format,
    formatBytes(Number(v.size_bytes)),
    v.sha256.slice(0, 12),
    v.aliases.length > 0 ? v.aliases.join(', ') : '-',
    v.created_at || '-',
  ]);
  io.stdout.write(formatTable(['VERSION', 'STATE', 'FORMAT', 'SIZE', 'SHA256', 'ALIASES', 'CREATED'], rows));
}

/** `version` is a number, an alias, or empty (the `production` alias, else the latest). */
export async function versionsShow(
  args: { name: string; version?: string | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const v = await callUnary<registryv1.ModelVersion__Output>((cb) =>
    registry.GetVersion({ model: args.name, version: args.version ?? '' }, unaryOptions(), cb),
  );
  const tags = Object.entries(v.tags).map(([k, value]) => `${k}=${value}`);
  io.stdout.write(
    formatFields([
      ['model', v.model],
      ['version', String(v.version)],
      ['state', v.state],
      ['format', v.format],
      ['size', `${formatBytes(Number(v.size_bytes))} (${v.size_bytes} bytes)`],
      ['sha256', v.sha256],
      ['aliases', v.aliases.length > 0 ? v.aliases.join(', ') : '-'],
      ['inputs', signatureLines(v.signature?.inputs ?? [])],
      ['outputs', signatureLines(v.signature?.outputs ?? [])],
      ['tags', tags.length > 0 ? tags.join(', ') : '-'],
      ['created', v.created_at || '-'],
      ['artifact', v.artifact_key || '-'],
      ...lineageFields(v),
    ]),
  );
}

export interface VersionsDownloadArgs {
  readonly name: string;
  readonly version?: string | undefined;
  readonly output: string;
  readonly resume: boolean;
}

/** Writes the artifact to OUTPUT (progress on a TTY) and prints `<model> v<n> -> <file> (<size>, sha256 ok)`. */
export async function versionsDownload(
  args: VersionsDownloadArgs,
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.ModelVersion__Output> {
  let progress: ByteProgress | undefined;
  let result;
  try {
    result = await downloadArtifact(registry, {
      model: args.name,
      version: args.version ?? '',
      file: args.output,
      resume: args.resume,
      onStart: (total, offset) => {
        progress = byteProgress(io, total);
        progress.phase(offset > 0 ? 'resume' : 'fetch');
        progress.update(offset);
      },
      onProgress: (done) => progress?.update(done),
    });
  } finally {
    progress?.stop();
  }
  const { version, received } = result;
  const resumed = Number(version.size_bytes) - received;
  io.stdout.write(
    `${version.model} v${version.version} -> ${args.output} (${formatBytes(Number(version.size_bytes))}${resumed > 0 ? `, ${formatBytes(resumed)} were already there` : ''}, sha256 ok)\n`,
  );
  return version;
}

/** ARCHIVED keeps the artifact but takes the version out of "latest"; the registry refuses while an alias points at it. */
export async function versionsSetState(
  args: { name: string; version: number; state: 'ARCHIVED' | 'READY' },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.ModelVersion__Output> {
  const v = await callUnary<registryv1.ModelVersion__Output>((cb) =>
    registry.SetVersionState(
      { model: args.name, version: args.version, state: args.state },
      unaryOptions(),
      cb,
    ),
  );
  io.stdout.write(`${v.model} v${v.version} is ${v.state}\n`);
  return v;
}

export function registerVersionsCommands(program: Command, ctx: CliContext): void {
  const versions = program.command('versions').description('versions of a model');

  versions
    .command('list')
    .description('list the versions of NAME')
    .argument('<NAME>', 'model name')
    .action(async (name: string) => versionsList({ name }, await ctx.registry(), ctx.io));

  versions
    .command('show')
    .description('show one version: state, digest, signature')
    .argument('<NAME>', 'model name')
    .argument('[VERSION]', 'version number or alias (default: the production alias, else the latest)')
    .action(async (name: string, version: string | undefined) =>
      versionsShow({ name, version }, await ctx.registry(), ctx.io),
    );

  versions
    .command('download')
    .description("download a version's artifact into a file, checking its SHA-256")
    .argument('<NAME>', 'model name')
    .argument('[VERSION]', 'version number or alias (default: the production alias, else the latest)')
    .requiredOption('-o, --output <FILE>', 'file to write')
    .option('--resume', 'continue a partial FILE from where it stops instead of starting over', false)
    .action(async (name: string, version: string | undefined, opts: { output: string; resume: boolean }) => {
      await versionsDownload({ name, version, ...opts }, await ctx.registry(), ctx.io);
    });

  versions
    .command('archive')
    .description(
      'archive a version (refused while an alias points at it); `versions restore` makes it READY again',
    )
    .argument('<NAME>', 'model name')
    .argument('<VERSION>', 'version number', parseVersionNumber)
    .action(async (name: string, version: number) => {
      await versionsSetState({ name, version, state: 'ARCHIVED' }, await ctx.registry(), ctx.io);
    });

  versions
    .command('restore')
    .description('make an archived version READY again')
    .argument('<NAME>', 'model name')
    .argument('<VERSION>', 'version number', parseVersionNumber)
    .action(async (name: string, version: number) => {
      await versionsSetState({ name, version, state: 'READY' }, await ctx.registry(), ctx.io);
    });
}
