import type { trainerv1 } from '@aimass/contracts';
import type { Command } from 'commander';
import fs from 'node:fs';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { CliError, InputFileError, unreadable } from '../errors.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { followJob, type JobOutcome } from '../job-follower.js';

export interface TrainArgs {
  readonly spec: string;
  readonly wait: boolean;
  readonly jobId?: string | undefined;
}

/** The job did not succeed; its state and reason are the message. */
export class TrainingJobError extends CliError {
  override name = 'TrainingJobError';
}

/**
 * Submits SPEC.json to the trainer and prints the job id. With --wait it follows the job (see
 * followJob: progress on stderr, also across a move to another node) and ends with
 * `<model> <version>` of the registered result on stdout.
 */
export async function train(
  args: TrainArgs,
  ctx: Pick<CliContext, 'trainer' | 'nats' | 'io'>,
): Promise<trainerv1.Job__Output | JobOutcome> {
  const io = ctx.io;
  const trainer = await ctx.trainer();
  const specJson = readSpec(args.spec);
  const job = await callUnary<trainerv1.Job__Output>((cb) =>
    trainer.SubmitJob({ job_id: args.jobId ?? '', spec_json: specJson }, unaryOptions(), cb),
  );
  if (!args.wait) {
    io.stdout.write(`${job.job_id}\n`);
    return job;
  }
  io.stderr.write(`job ${job.job_id} (${job.family}, pool ${job.pool}) ${job.state}\n`);
  return printOutcome(await followJob(job, await ctx.nats(), trainer, io), io);
}

/** `<model> <version>` on stdout for a job that succeeded; any other end is a TrainingJobError. */
export function printOutcome(outcome: JobOutcome, io: CliIo): JobOutcome {
  if (outcome.state !== 'SUCCEEDED') {
    const reason = outcome.reason ? `: ${outcome.reason}` : '';
    throw new TrainingJobError(`job ${outcome.jobId} ${outcome.state}${reason}`);
  }
  io.stdout.write(`${outcome.model} ${outcome.version}\n`);
  return outcome;
}

function readSpec(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new InputFileError(`${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return text;
}

export function registerTrainCommand(program: Command, ctx: CliContext): void {
  program
    .command('train')
    .description('submit a training job from a JSON spec (see README, "Training"); prints the job id')
    .argument('<SPEC>', 'JSON file with the training spec')
    .option('--wait', 'follow the job; the last line is "<model> <version>" of the registered result', false)
    .option(
      '--job-id <ID>',
      'job id to use (letters, digits, - and _); submitting it again returns the same job',
    )
    .action(async (spec: string, opts: { wait: boolean; jobId?: string }) => {
      await train({ spec, ...opts }, ctx);
    });
}
