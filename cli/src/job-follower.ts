import type { Envelope, EventData, trainerv1 } from '@aimass/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { type ServiceError, status } from '@grpc/grpc-js';
import { SingleBar } from 'cli-progress';
import type { CliIo } from './cli-io.js';
import { callUnary, unaryOptions } from './grpc-calls.js';

// A job is followed through its events in JetStream, not through the trainer node that runs it: a
// node that dies mid-job takes its gRPC stream with it, while the job goes on elsewhere (the work
// queue hands it to another node, which resumes from the last checkpoint). The events carry which
// node runs the job and from which epoch it resumed, so the follower can say when the job moves.

/** How a followed job ended. */
export interface JobOutcome {
  readonly jobId: string;
  readonly state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  readonly model: string;
  readonly version: number;
  /** Every artifact registered, e.g. { anomaly: 'm@3', encoder: 'm-encoder@3' }. */
  readonly artifacts: Readonly<Record<string, string>>;
  readonly reason: string;
}

/** Events are stored by nats-server's clock and jobs are stamped by the trainer's: allow for skew. */
const CLOCK_SKEW_MS = 60_000;
/** How often the job record is read besides the events, so a follower ends even if an event is lost. */
const RECORD_POLL_MS = 5_000;

type JobEvent = Envelope & { data: { job_id: string } };

/** How long reading a job waits out an unreachable trainer (a node dying, or one restarting). */
const UNAVAILABLE_GRACE_MS = 60_000;

/**
 * The job's record, waiting up to UNAVAILABLE_GRACE_MS while the trainer is UNAVAILABLE: following a
 * job is meant to outlive its node, and the node answering GetJob may be the one that just died.
 * Every other error (NOT_FOUND, ...) is thrown at once.
 */
export async function readJob(
  trainer: trainerv1.TrainerServiceClient,
  jobId: string,
  io: CliIo,
): Promise<trainerv1.Job__Output> {
  const deadline = Date.now() + UNAVAILABLE_GRACE_MS;
  let told = false;
  for (;;) {
    try {
      return await callUnary<trainerv1.Job__Output>((cb) =>
        trainer.GetJob({ job_id: jobId }, unaryOptions(), cb),
      );
    } catch (err) {
      if ((err as ServiceError).code !== status.UNAVAILABLE || Date.now() > deadline) throw err;
      if (!told)
        io.stderr.write(`the trainer does not answer (${(err as ServiceError).details}); retrying\n`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** The job's events since it was created, oldest first; `follow` false ends at the newest stored one. */
export async function* jobEvents(
  nc: NatsConnection,
  job: Pick<trainerv1.Job__Output, 'job_id' | 'created_at'>,
  options: { follow: boolean; signal?: AbortSignal },
): AsyncGenerator<JobEvent> {
  const { readEvents } = await import('@aimass/nats');
  const created = Date.parse(job.created_at);
  const since = new Date((Number.isFinite(created) ? created : Date.now()) - CLOCK_SKEW_MS);
  for await (const event of readEvents(nc, { types: 'trainer.job.>', since, ...options })) {
    if ((event.data as { job_id?: unknown }).job_id === job.job_id) yield event as JobEvent;
  }
}

/**
 * Follows a job to its end and returns how it ended. Progress goes to stderr: a bar over epochs on a
 * terminal, one line per epoch otherwise, and one line each time the job starts again on a node
 * ("resumed on NODE from epoch N"). The job record is also read every few seconds from whichever
 * trainer answers, so the follower ends even if the trainer's last event never reached the stream.
 */
export async function followJob(
  job: trainerv1.Job__Output,
  nc: NatsConnection,
  trainer: trainerv1.TrainerServiceClient,
  io: CliIo,
): Promise<JobOutcome> {
  if (FINISHED.has(job.state)) return outcomeOfRecord(job);
  const view = new ProgressView(io);
  const abort = new AbortController();
  let fromRecord: JobOutcome | undefined;
  const poll = setInterval(() => {
    callUnary<trainerv1.Job__Output>((cb) => trainer.GetJob({ job_id: job.job_id }, unaryOptions(), cb))
      .then((record) => {
        if (FINISHED.has(record.state) && !abort.signal.aborted) {
          fromRecord = outcomeOfRecord(record);
          abort.abort();
        }
      })
      // No trainer answering is what following by events is for; the next poll tries again.
      .catch(() => undefined);
  }, RECORD_POLL_MS);
  try {
    for await (const event of jobEvents(nc, job, { follow: true, signal: abort.signal })) {
      const outcome = view.show(event);
      if (outcome) return outcome;
    }
    if (fromRecord) return fromRecord;
    throw new Error(`stopped following job ${job.job_id} before it ended`);
  } finally {
    clearInterval(poll);
    abort.abort();
    view.stop();
  }
}

function outcomeOfRecord(job: trainerv1.Job__Output): JobOutcome {
  return {
    jobId: job.job_id,
    state: job.state as JobOutcome['state'],
    model: job.model,
    version: job.version,
    artifacts: {},
    reason: job.reason,
  };
}

/** Renders a job's events as progress on stderr and turns its last event into an outcome. */
class ProgressView {
  private readonly bar: SingleBar | undefined;
  private barStarted = false;
  private starts = 0;

  constructor(private readonly io: CliIo) {
    this.bar = io.stderr.isTTY
      ? new SingleBar({
          stream: io.stderr,
          format: 'epoch {value}/{total} [{bar}] {percentage}% | loss {loss} | {sps} samples/s | {backend}',
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
        })
      : undefined;
  }

  show(event: JobEvent): JobOutcome | undefined {
    switch (event.type) {
      case 'trainer.job.started': {
        const data = event.data as EventData<'trainer.job.started'>;
        this.starts += 1;
        if (this.starts > 1) {
          this.line(`job ${data.job_id} resumed on ${data.node_id} from epoch ${data.resumed_from_epoch}`);
        }
        return undefined;
      }
      case 'trainer.job.progress': {
        const data = event.data as EventData<'trainer.job.progress'>;
        const loss = data.losses.loss === undefined ? '-' : data.losses.loss.toPrecision(4);
        const fields = { loss, sps: Math.round(data.samples_per_second), backend: data.backend || '-' };
        if (!this.bar) {
          this.io.stderr.write(
            `epoch ${data.epoch}/${data.epochs} loss ${loss} ${fields.sps} samples/s ${fields.backend}\n`,
          );
        } else if (this.barStarted) {
          this.bar.update(data.epoch, fields);
        } else {
          this.bar.start(data.epochs, data.epoch, fields);
          this.barStarted = true;
        }
        return undefined;
      }
      case 'trainer.job.succeeded': {
        const data = event.data as EventData<'trainer.job.succeeded'>;
        return {
          jobId: data.job_id,
          state: 'SUCCEEDED',
          model: data.model,
          version: data.version,
          artifacts: data.artifacts,
          reason: '',
        };
      }
      case 'trainer.job.failed': {
        const data = event.data as EventData<'trainer.job.failed'>;
        return {
          jobId: data.job_id,
          state: 'FAILED',
          model: '',
          version: 0,
          artifacts: {},
          reason: data.reason,
        };
      }
      case 'trainer.job.cancelled': {
        const data = event.data as EventData<'trainer.job.cancelled'>;
        return {
          jobId: data.job_id,
          state: 'CANCELLED',
          model: '',
          version: 0,
          artifacts: {},
          reason: `cancelled after ${data.epoch} epochs`,
        };
      }
      default:
        return undefined;
    }
  }

  /** A line of its own, also while the bar is drawn. */
  private line(text: string): void {
    if (this.bar && this.barStarted) {
      this.bar.stop();
      this.barStarted = false;
    }
    this.io.stderr.write(`${text}\n`);
  }

  stop(): void {
    if (this.barStarted) this.bar?.stop();
  }
}
