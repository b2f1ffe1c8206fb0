import type { trainerv1 } from '@aimass/contracts';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import fs from 'node:fs';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { CliError, InputFileError, unreadable } from '../errors.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';

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
 * Submits SPEC.json to the trainer and prints the job id. With --wait it follows the job's progress
 * (a bar over epochs on a terminal, one line per epoch otherwise, both on stderr) and ends with
 * `<model> <version>` of the registered result on stdout.
 */
export async function train(
  args: TrainArgs,
  trainer: trainerv1.TrainerServiceClient,
  io: CliIo,
): Promise<trainerv1.Job__Output> {
  const specJson = readSpec(args.spec);
  const job = await callUnary<trainerv1.Job__Output>((cb) =>
    trainer.SubmitJob({ job_id: args.jobId ?? '', spec_json: specJson }, unaryOptions(), cb),
  );
  if (!args.wait) {
    io.stdout.write(`${job.job_id}\n`);
    return job;
  }
  io.stderr.write(`job ${job.job_id} (${job.family}, pool ${job.pool}) ${job.state}\n`);
  const last = await follow(trainer, job.job_id, io);
  if (last.state !== 'SUCCEEDED')
    throw new TrainingJobError(`job ${last.job_id} ${last.state}${last.reason ? `: ${last.reason}` : ''}`);
  io.stdout.write(`${last.model} ${last.version}\n`);
  return last;
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

async function follow(
  trainer: trainerv1.TrainerServiceClient,
  jobId: string,
  io: CliIo,
): Promise<trainerv1.Job__Output> {
  const bar = io.stderr.isTTY
    ? new SingleBar({
        stream: io.stderr,
        format: 'epoch {value}/{total} [{bar}] {percentage}% | loss {loss} | {sps} samples/s | {backend}',
        hideCursor: true,
        clearOnComplete: true,
        barsize: 30,
      })
    : undefined;
  let started = false;
  let lastEpoch = -1;
  let last: trainerv1.Job__Output | undefined;
  const stream = trainer.StreamProgress({ job_id: jobId });
  try {
    for await (const update of stream as AsyncIterable<trainerv1.Job__Output>) {
      last = update;
      const loss = update.losses.loss === undefined ? '-' : update.losses.loss.toPrecision(4);
      const fields = { loss, sps: Math.round(update.samples_per_second), backend: update.backend || '-' };
      if (bar) {
        if (!started && update.epochs > 0) bar.start(update.epochs, update.epoch, fields);
        else if (started) bar.update(update.epoch, fields);
        started ||= update.epochs > 0;
      } else if (update.epoch !== lastEpoch && update.epoch > 0) {
        io.stderr.write(
          `epoch ${update.epoch}/${update.epochs} loss ${loss} ${fields.sps} samples/s ${fields.backend}\n`,
        );
      }
      lastEpoch = update.epoch;
    }
  } finally {
    bar?.stop();
  }
  if (!last) throw new CliError(`the trainer sent no progress for job ${jobId}`);
  return last;
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
      await train({ spec, ...opts }, await ctx.trainer(), ctx.io);
    });
}
