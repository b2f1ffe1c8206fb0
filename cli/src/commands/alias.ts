import { InvalidArgumentError, type Command } from 'commander';
import type { registryv1 } from '@aimass/contracts';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { formatTable } from '../table.js';

/** VERSION of `alias set`: a version number, 1 .. 2^32-1 (registry versions are uint32). */
export function parseVersionNumber(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > 0xffff_ffff) {
    throw new InvalidArgumentError('expected a version number (1, 2, ...)');
  }
  return Number(value);
}

export async function aliasSet(
  args: { name: string; alias: string; version: number },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.Alias__Output> {
  const alias = await callUnary<registryv1.Alias__Output>((cb) =>
    registry.SetAlias({ model: args.name, alias: args.alias, version: args.version }, unaryOptions(), cb),
  );
  const was = alias.previous_version ? ` (was ${alias.previous_version})` : ' (new)';
  io.stdout.write(`${alias.model}@${alias.alias} -> ${alias.version}${was}\n`);
  return alias;
}

export async function aliasDelete(
  args: { name: string; alias: string },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<registryv1.Alias__Output> {
  const alias = await callUnary<registryv1.Alias__Output>((cb) =>
    registry.DeleteAlias({ model: args.name, alias: args.alias }, unaryOptions(), cb),
  );
  io.stdout.write(`${alias.model}@${alias.alias} deleted (was ${alias.previous_version})\n`);
  return alias;
}

/** Every move of the aliases of NAME (or of one ALIAS), oldest first; version '-' means deleted. */
export async function aliasHistory(
  args: { name: string; alias?: string | undefined },
  registry: registryv1.RegistryServiceClient,
  io: CliIo,
): Promise<void> {
  const { changes } = await callUnary<registryv1.ListAliasHistoryResponse__Output>((cb) =>
    registry.ListAliasHistory({ model: args.name, alias: args.alias ?? '' }, unaryOptions(), cb),
  );
  const rows = changes.map((c) => [
    c.time || '-',
    c.alias,
    c.previous_version ? String(c.previous_version) : '-',
    c.version ? String(c.version) : '-',
    c.actor || '-',
  ]);
  io.stdout.write(formatTable(['TIME', 'ALIAS', 'FROM', 'TO', 'ACTOR'], rows));
}

export function registerAliasCommands(program: Command, ctx: CliContext): void {
  const alias = program.command('alias').description('named pointers at versions (production, staging, ...)');

  alias
    .command('set')
    .description('point ALIAS of NAME at VERSION (inference hot-swaps models served by that alias)')
    .argument('<NAME>', 'model name')
    .argument('<ALIAS>', 'alias name, e.g. production')
    .argument('<VERSION>', 'version number', parseVersionNumber)
    .action(async (name: string, aliasName: string, version: number) => {
      await aliasSet({ name, alias: aliasName, version }, await ctx.registry(), ctx.io);
    });

  alias
    .command('delete')
    .description('remove ALIAS from NAME')
    .argument('<NAME>', 'model name')
    .argument('<ALIAS>', 'alias name')
    .action(async (name: string, aliasName: string) => {
      await aliasDelete({ name, alias: aliasName }, await ctx.registry(), ctx.io);
    });

  alias
    .command('history')
    .description(
      'every move of the aliases of NAME (or only ALIAS): when, from which version to which, by whom',
    )
    .argument('<NAME>', 'model name')
    .argument('[ALIAS]', 'only this alias')
    .action(async (name: string, aliasName: string | undefined) =>
      aliasHistory({ name, alias: aliasName }, await ctx.registry(), ctx.io),
    );
}
