import type { EventData, trainerv1 } from '@aimass/contracts';
import { Option, type Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { followJob, jobEvents, type JobOutcome, readJob } from '../job-follower.js';
import { formatFields, formatPairs, formatTable } from '../table.js';
import { printOutcome } from './train.js';

const JOB_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

/** The model a job trains: the registered one once it succeeded, else the spec's model_name. */
function modelOf(job: trainerv1.Job__Output): string {
  if (job.model) return job.model;
  try {
    const spec = JSON.parse(job.spec_json) as { model_name?: unknown };
    return typeof spec.model_name === 'string' ? spec.model_name : '';
  } catch {
    return '';
  }
}

function progressOf(job: trainerv1.Job__Output): string {
  return job.epochs > 0 ? `${job.epoch}/${job.epochs}` : '-';
}

/** One row per job, newest first; --state is checked by the trainer, --model here. */
export async function jobsList(
  args: { state?: string | undefined; model?: string | undefined },
  trainer: trainerv1.TrainerServiceClient,
  io: CliIo,
): Promise<trainerv1.Job__Output[]> {
  const { jobs } = await callUnary<trainerv1.ListJobsResponse__Output>((cb) =>
    trainer.ListJobs({ state: args.state ?? '' }, unaryOptions(), cb),
  );
  const shown = jobs
    .filter((j) => !args.model || modelOf(j) === args.model)
    .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.job_id.localeCompare(b.job_id));
  const rows = shown.map((j) => [
    j.job_id,
    j.state,
    j.family,
    j.pool,
    progressOf(j),
    j.node_id || '-',
    j.backend || '-',
    j.version > 0 ? `${j.model} ${j.version}` : modelOf(j) || '-',
    j.created_at || '-',
  ]);
  io.stdout.write(
    formatTable(['JOB', 'STATE', 'FAMILY', 'POOL', 'EPOCH', 'NODE', 'BACKEND', 'MODEL', 'CREATED'], rows),
  );
  return shown;
}

/** What the event history says of a job: its epochs, the nodes it ran on and what it registered. */
interface JobHistory {
  readonly epochs: EventData<'trainer.job.progress'>[];
  readonly starts: EventData<'trainer.job.started'>[];
  artifacts: Record<string, string>;
}

async function history(ctx: Pick<CliContext, 'nats'>, job: trainerv1.Job__Output): Promise<JobHistory> {
  const out: JobHistory = { epochs: [], starts: [], artifacts: {} };
  for await (const event of jobEvents(await ctx.nats(), job, { follow: false })) {
    if (event.type === 'trainer.job.progress')
      out.epochs.push(event.data as EventData<'trainer.job.progress'>);
    else if (event.type === 'trainer.job.started')
      out.starts.push(event.data as EventData<'trainer.job.started'>);
    else if (event.type === 'trainer.job.succeeded')
      out.artifacts = (event.data as EventData<'trainer.job.succeeded'>).artifacts;
  }
  return out;
}

/** The job's record, its spec, where it ran, its metrics per epoch and what it registered. */
export async function jobsShow(
  args: { id: string },
  ctx: Pick<CliContext, 'trainer' | 'nats' | 'io'>,
): Promise<void> {
  const trainer = await ctx.trainer();
  const job = await callUnary<trainerv1.Job__Output>((cb) =>
    trainer.GetJob({ job_id: args.id }, unaryOptions(), cb),
  );
  const past = await history(ctx, job);
  const versions = Object.entries(past.artifacts).map(([role, at]) => `${role} ${at.replace('@', ' ')}`);
  const nodes = past.starts.map((s) =>
    s.resumed_from_epoch > 0 ? `${s.node_id} (from epoch ${s.resumed_from_epoch})` : s.node_id,
  );
  let spec = job.spec_json;
  try {
    spec = JSON.stringify(JSON.parse(job.spec_json), null, 2).replace(/\n/g, '\n  ');
  } catch {
    // Shown as stored.
  }
  const fields: [string, string][] = [
    ['job', job.job_id],
    ['state', job.state],
    ['family', job.family || '-'],
    ['pool', job.pool],
    ['epoch', progressOf(job)],
    ['node', job.node_id || '-'],
    ['nodes', nodes.length > 0 ? nodes.join(', ') : '-'],
    ['backend', [job.backend, job.adapter].filter(Boolean).join(', ') || '-'],
    ['model', modelOf(job) || '-'],
    [
      'versions',
      versions.length > 0 ? versions.join(', ') : job.version > 0 ? `${job.model} ${job.version}` : '-',
    ],
    ['metrics', formatPairs(rounded(job.metrics))],
    ['created', job.created_at || '-'],
    ['updated', job.updated_at || '-'],
  ];
  if (job.reason) fields.push(['reason', job.reason]);
  fields.push(['spec', spec]);
  ctx.io.stdout.write(formatFields(fields));
  if (past.epochs.length === 0) return;
  // The last report of each epoch: a job resumed on another node repeats the epochs after its checkpoint.
  const byEpoch = new Map(past.epochs.map((e) => [e.epoch, e]));
  const epochs = [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
  const lossKeys = [...new Set(epochs.flatMap((e) => Object.keys(e.losses)))].sort();
  const metricKeys = [...new Set(epochs.flatMap((e) => Object.keys(e.metrics)))].sort();
  const header = [
    'EPOCH',
    ...lossKeys.map((k) => k.toUpperCase()),
    ...metricKeys.map((k) => k.toUpperCase()),
  ];
  const rows = epochs.map((e) => [
    String(e.epoch),
    ...lossKeys.map((k) => figure(e.losses[k])),
    ...metricKeys.map((k) => figure(e.metrics[k])),
  ]);
  ctx.io.stdout.write(
    '\n' +
      formatTable(
        [...header, 'SAMPLES/S', 'NODE'],
        rows.map((r, i) => [...r, String(Math.round(epochs[i]!.samples_per_second)), epochs[i]!.node_id]),
      ),
  );
}

function figure(value: number | undefined): string {
  return value === undefined ? '-' : value.toPrecision(5);
}

function rounded(map: Readonly<Record<string, number>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.toPrecision(5)]));
}

/** Follows a job to its end, as `train --wait` does; ends with `<model> <version>`. */
export async function jobsWatch(
  args: { id: string },
  ctx: Pick<CliContext, 'trainer' | 'nats' | 'io'>,
): Promise<JobOutcome> {
  const trainer = await ctx.trainer();
  const job = await readJob(trainer, args.id, ctx.io);
  ctx.io.stderr.write(`job ${job.job_id} (${job.family}, pool ${job.pool}) ${job.state}\n`);
  return printOutcome(await followJob(job, await ctx.nats(), trainer, ctx.io), ctx.io);
}

/** Asks the trainer to cancel; prints the job's state after the request. */
export async function jobsCancel(
  args: { id: string },
  trainer: trainerv1.TrainerServiceClient,
  io: CliIo,
): Promise<trainerv1.Job__Output> {
  const job = await callUnary<trainerv1.Job__Output>((cb) =>
    trainer.CancelJob({ job_id: args.id }, unaryOptions(), cb),
  );
  const note = job.state === 'CANCELLED' ? '' : ' (cancel requested: its node stops it within one batch)';
  io.stdout.write(`${job.job_id} ${job.state}${note}\n`);
  return job;
}

export function registerJobsCommands(program: Command, ctx: CliContext): void {
  const jobs = program.command('jobs').description('training jobs: list, show, watch and cancel');
  jobs
    .command('list')
    .description('list training jobs, newest first')
    .addOption(new Option('--state <STATE>', 'only jobs in this state').choices(JOB_STATES))
    .option('--model <MODEL>', 'only jobs training this model')
    .action(async (opts: { state?: string; model?: string }) => {
      await jobsList(opts, await ctx.trainer(), ctx.io);
    });
  jobs
    .command('show')
    .description("a job's spec, state, nodes, metrics per epoch and registered versions")
    .argument('<ID>', 'job id')
    .action(async (id: string) => jobsShow({ id }, ctx));
  jobs
    .command('watch')
    .description('follow a job to its end, across nodes; the last line is "<model> <version>"')
    .argument('<ID>', 'job id')
    .action(async (id: string) => {
      await jobsWatch({ id }, ctx);
    });
  jobs
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<ID>', 'job id')
    .action(async (id: string) => {
      await jobsCancel({ id }, await ctx.trainer(), ctx.io);
    });
}
