import type { tunerv1 } from '@aimass/contracts';
import { status } from '@grpc/grpc-js';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliContext } from '../cli-context.js';
import type { CliIo } from '../cli-io.js';
import { CliError, InputFileError, unreadable } from '../errors.js';
import { callUnary, unaryOptions } from '../grpc-calls.js';
import { formatFields, formatTable } from '../table.js';

/** The study ended without a result to print. */
export class StudyError extends CliError {
  override name = 'StudyError';
}

const POLL_MS = 1000;

/**
 * Creates the study of STUDY.json and prints its id. With --wait it follows the study (a bar over
 * trials with the best value so far on stderr) and ends with `<model> <version> <best value>` on
 * stdout: the best trial's registered version (`- -` for an ask/tell study, which registers nothing).
 */
export async function tune(
  args: { study: string; wait: boolean; studyId?: string | undefined },
  ctx: Pick<CliContext, 'tuner' | 'io'>,
): Promise<tunerv1.Study__Output> {
  const tuner = await ctx.tuner();
  const created = await callUnary<tunerv1.Study__Output>((cb) =>
    tuner.CreateStudy({ spec_json: readStudy(args.study), study_id: args.studyId ?? '' }, unaryOptions(), cb),
  );
  if (!args.wait) {
    ctx.io.stdout.write(`${created.study_id}\n`);
    return created;
  }
  ctx.io.stderr.write(
    `study ${created.study_id} (${created.mode}, ${created.sampler}, pruner ${created.pruner}) ${created.state}\n`,
  );
  const view = new StudyProgress(ctx.io);
  let study = created;
  while (study.state === 'RUNNING') {
    view.show(study);
    await sleep(POLL_MS);
    study = await callUnary<tunerv1.Study__Output>((cb) =>
      tuner.GetStudy({ study_id: created.study_id }, unaryOptions(), cb),
    );
  }
  view.show(study);
  view.stop();
  const best = study.best_trial;
  if (!study.has_best || !best)
    throw new StudyError(`study ${study.study_id} ${study.state} without a complete trial`);
  ctx.io.stdout.write(`${best.model || '-'} ${best.version > 0 ? best.version : '-'} ${best.value}\n`);
  return study;
}

/** A bar over the budgeted trials on a terminal; one line per change otherwise. */
class StudyProgress {
  private readonly bar: SingleBar | undefined;
  private started = false;
  private last = '';

  constructor(private readonly io: CliIo) {
    this.bar = io.stderr.isTTY
      ? new SingleBar({
          stream: io.stderr,
          format: 'trials {value}/{total} [{bar}] {percentage}% | running {running} | best {best}',
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
        })
      : undefined;
  }

  show(s: tunerv1.Study__Output): void {
    const ended = s.complete + s.pruned + s.failed;
    const total = s.max_trials || Math.max(ended, 1);
    const fields = { running: s.running, best: s.has_best && s.best_trial ? fmt(s.best_trial.value) : '-' };
    if (this.bar) {
      if (!this.started) this.bar.start(total, ended, fields);
      else this.bar.update(ended, fields);
      this.started = true;
      return;
    }
    const line = `trials ${ended}/${s.max_trials || '-'} ended (${s.complete} complete, ${s.pruned} pruned, ${s.failed} failed), ${s.running} running, best ${fields.best}`;
    if (line !== this.last) this.io.stderr.write(`${line}\n`);
    this.last = line;
  }

  stop(): void {
    if (this.started) this.bar?.stop();
  }
}

export async function studiesList(
  args: { state?: string | undefined },
  tuner: tunerv1.TunerServiceClient,
  io: CliIo,
): Promise<tunerv1.Study__Output[]> {
  const { studies } = await callUnary<tunerv1.ListStudiesResponse__Output>((cb) =>
    tuner.ListStudies({ state: args.state ?? '' }, unaryOptions(), cb),
  );
  const rows = studies.map((s) => [
    s.study_id,
    s.state,
    s.mode,
    `${s.sampler}/${s.pruner}`,
    `${s.trials_started}/${s.max_trials || '-'}`,
    s.has_best && s.best_trial ? `${fmt(s.best_trial.value)} (#${s.best_trial.number})` : '-',
    s.created_at,
  ]);
  io.stdout.write(
    formatTable(['STUDY', 'STATE', 'MODE', 'SAMPLER/PRUNER', 'TRIALS', 'BEST', 'CREATED'], rows),
  );
  return studies;
}

/** The study, a table of its trials, the best one and the parameters' importances. */
export async function studiesShow(
  studyId: string,
  tuner: tunerv1.TunerServiceClient,
  io: CliIo,
): Promise<tunerv1.Study__Output> {
  const s = await callUnary<tunerv1.Study__Output>((cb) =>
    tuner.GetStudy({ study_id: studyId }, unaryOptions(), cb),
  );
  const best = s.has_best ? s.best_trial : undefined;
  io.stdout.write(
    formatFields([
      ['study', s.study_id],
      ['name', s.name],
      ['state', s.reason ? `${s.state} (${s.reason})` : s.state],
      ['mode', s.mode],
      ['objective', `${s.direction} ${s.metric}`],
      ['sampler', s.sampler],
      ['pruner', s.pruner],
      [
        'trials',
        `${s.trials_started}/${s.max_trials || '-'} started: ${s.complete} complete, ${s.pruned} pruned, ${s.failed} failed, ${s.running} running`,
      ],
      [
        'best',
        best
          ? `#${best.number} ${fmt(best.value)} ${best.params_json}${best.version > 0 ? ` -> ${best.model} ${best.version}` : ''}`
          : '-',
      ],
      ['created', s.created_at],
    ]),
  );
  io.stdout.write('\n');
  io.stdout.write(
    formatTable(
      ['#', 'STATE', 'VALUE', 'STEPS', 'PARAMS', 'JOB', 'VERSION'],
      s.trials.map((t) => [
        String(t.number),
        t.state,
        t.has_value ? fmt(t.value) : '-',
        String(Object.keys(t.intermediate).length),
        t.params_json,
        t.job_id || '-',
        t.version > 0 ? `${t.model} ${t.version}` : '-',
      ]),
    ),
  );
  io.stdout.write('\n');
  try {
    const imp = await callUnary<tunerv1.ImportanceResponse__Output>((cb) =>
      tuner.GetImportance({ study_id: studyId }, unaryOptions(), cb),
    );
    io.stdout.write(
      formatTable(
        ['PARAMETER', 'IMPORTANCE'],
        imp.importances.map((i) => [i.name, i.importance.toFixed(3)]),
      ),
    );
  } catch (err) {
    if ((err as { code?: number }).code !== status.FAILED_PRECONDITION) throw err;
    io.stdout.write(`importance: ${(err as { details: string }).details}\n`);
  }
  return s;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(6);
}

function readStudy(file: string): string {
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

export function registerTuneCommand(program: Command, ctx: CliContext): void {
  program
    .command('tune')
    .description('create a hyperparameter study from a JSON spec (see README, "Tuning"); prints its id')
    .argument('<STUDY>', 'JSON file with the study spec')
    .option(
      '--wait',
      'follow the study; the last line is "<model> <version> <best value>" of the best trial',
      false,
    )
    .option('--study-id <ID>', 'study id to use (letters, digits, - and _); creating it again returns it')
    .action(async (study: string, opts: { wait: boolean; studyId?: string }) => {
      await tune({ study, ...opts }, ctx);
    });
}

export function registerStudiesCommands(program: Command, ctx: CliContext): void {
  const studies = program.command('studies').description('hyperparameter studies');
  studies
    .command('list')
    .description('every study, newest first')
    .option('--state <STATE>', 'only RUNNING, COMPLETED or STOPPED studies')
    .action(async (opts: { state?: string }) => {
      await studiesList(opts, await ctx.tuner(), ctx.io);
    });
  studies
    .command('show')
    .description('a study: its trials, the best one and the parameters that mattered')
    .argument('<ID>', 'study id')
    .action(async (id: string) => {
      await studiesShow(id, await ctx.tuner(), ctx.io);
    });
}
