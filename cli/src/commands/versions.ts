import type { Command } from 'commander';
import type { registryv1 } from '@aimass/contracts';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { formatBytes, formatFields, formatTable } from '../table.js';

function signatureLines(specs: readonly registryv1.TensorSpec__Output[]): string {
  if (specs.length === 0) return '-';
  return specs.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join('; ');
}

export async function versionsList(args: { name: string }, registry: registryv1.RegistryServiceClient, io: CliIo): Promise<void> {
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
export async function versionsShow(args: { name: string; version?: string | undefined }, registry: registryv1.RegistryServiceClient, io: CliIo): Promise<void> {
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
    ]),
  );
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
    .action(async (name: string, version: string | undefined) => versionsShow({ name, version }, await ctx.registry(), ctx.io));
}
