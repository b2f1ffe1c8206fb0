import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliContext } from './cli-context.js';
import type { CliIo } from './cli-io.js';
import { registerAliasCommands } from './commands/alias.js';
import { registerAuthCommands } from './commands/auth.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerGalleryCommand } from './commands/gallery.js';
import { registerDataCommands } from './commands/data.js';
import { registerJobsCommands } from './commands/jobs.js';
import { registerModelsCommands } from './commands/models.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerTrainCommand } from './commands/train.js';
import { registerStudiesCommands, registerTuneCommand } from './commands/tune.js';
import { registerVersionsCommands } from './commands/versions.js';
import { reportError } from './error-report.js';
import { isHostPort } from './stack-env.js';

/** Exit codes: 0 done, 1 the operation failed (gRPC status, bad file, config), 2 bad usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const ADDRESS_HELP = `
Addresses: --registry/--inference, else AIMASS_REGISTRY_GRPC/AIMASS_INFERENCE_GRPC from the
environment, else from .aimass/stack.env (written by \`scripts/stack up\`; AIMASS_STACK_ENV names
another file), else the defaults 127.0.0.1:50051 and 127.0.0.1:8001. The trainer (train, jobs), the
tuner (tune, studies) and NATS (train --wait, jobs show/watch read the job's events) come from
AIMASS_TRAINER_GRPC, AIMASS_TUNER_GRPC and AIMASS_NATS_URL the same way.`;

function hostPort(value: string): string {
  if (!isHostPort(value)) throw new InvalidArgumentError('expected host:port, e.g. 127.0.0.1:50051');
  return value;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('aimass')
    .description('aimass model registry and inference client')
    .addOption(new Option('--registry <host:port>', 'registry gRPC address').argParser(hostPort))
    .addOption(new Option('--inference <host:port>', 'inference gRPC address (OIP v2)').argParser(hostPort))
    .addHelpText('after', ADDRESS_HELP)
    .showHelpAfterError('(run with --help for usage)')
    // Settings below are inherited by every subcommand added afterwards.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    });
  program.hook('preAction', (root) =>
    ctx.setOverrides(root.opts<{ registry?: string; inference?: string }>()),
  );

  registerModelsCommands(program, ctx);
  registerVersionsCommands(program, ctx);
  registerAliasCommands(program, ctx);
  registerPredictCommand(program, ctx);
  registerTrainCommand(program, ctx);
  registerDataCommands(program, ctx);
  registerJobsCommands(program, ctx);
  registerTuneCommand(program, ctx);
  registerStudiesCommands(program, ctx);
  registerAuthCommands(program, ctx);
  registerDemoCommand(program, ctx);
  registerGalleryCommand(program, ctx);
  return program;
}

/** Parses `args` (without node and script), runs the command and returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const ctx = new CliContext(io);
  try {
    await buildProgram(ctx).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message or the help text.
      const shownOnRequest =
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        (err.code === 'commander.help' && err.exitCode === 0);
      return shownOnRequest ? 0 : EXIT_USAGE;
    }
    const report = reportError(err);
    for (const line of report.lines) io.stderr.write(`${line}\n`);
    return report.exitCode;
  } finally {
    await ctx.close();
  }
}
