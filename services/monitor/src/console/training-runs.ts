import type { Envelope, EventData } from '@aimass/contracts';
import { downsampleMinMax } from './downsample.js';

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One start of a job on a node: the first, or a resume from the epoch its checkpoint held. */
export interface RunAttempt {
  readonly time: string;
  readonly node_id: string;
  readonly backend: string;
  readonly resumed_from_epoch: number;
}

/** A line of the job's log, from its lifecycle events. */
export interface RunLogLine {
  readonly time: string;
  readonly level: 'info' | 'error';
  readonly text: string;
}

/** A run as the Training view lists it (no series). */
export interface RunSummary {
  readonly job_id: string;
  readonly family: string;
  readonly pool: string;
  readonly node_id: string;
  readonly backend: string;
  readonly state: RunState;
  readonly epoch: number;
  readonly epochs: number;
  /** Names of the curves: `loss.<name>` and `metric.<name>`. */
  readonly keys: readonly string[];
  /** The latest value of every curve. */
  readonly last: Readonly<Record<string, number>>;
  readonly started_at: string;
  readonly updated_at: string;
  readonly model: string;
  readonly version: number;
}

export interface RunDetail extends RunSummary {
  readonly attempts: readonly RunAttempt[];
  readonly log: readonly RunLogLine[];
}

/** One curve of one run, by epoch. */
export interface RunCurve {
  readonly key: string;
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
}

/** A new epoch of one run, as it goes out to live consoles. */
export interface EpochUpdate {
  readonly job_id: string;
  readonly epoch: number;
  readonly values: Readonly<Record<string, number>>;
}

interface Run {
  job_id: string;
  family: string;
  pool: string;
  node_id: string;
  backend: string;
  state: RunState;
  epochs: number;
  started_at: string;
  updated_at: string;
  model: string;
  version: number;
  /** Epoch numbers in arrival order (a resumed job repeats the epochs after its checkpoint). */
  readonly epochIndex: number[];
  /** Values per curve, aligned with epochIndex (null where that epoch lacked the curve). */
  readonly curves: Map<string, (number | null)[]>;
  readonly attempts: RunAttempt[];
  readonly log: RunLogLine[];
}

const MAX_LOG_LINES = 200;

/**
 * Every training run the trainer's job events describe, folded into curves per run. The events come
 * from the AIMASS_EVENTS stream (history, then live), so the runs survive a monitor restart.
 */
export class TrainingRuns {
  private readonly runs = new Map<string, Run>();

  /** Folds one trainer job event in; returns the epoch it added, if it was a progress event. */
  apply(envelope: Envelope): EpochUpdate | undefined {
    const { type, time } = envelope;
    if (type === 'trainer.job.requested') {
      const data = envelope.data as EventData<'trainer.job.requested'>;
      if (!data.job_id) return undefined;
      const run = this.run(data.job_id, time);
      run.pool = data.pool;
      this.logLine(run, time, 'info', `requested on pool ${data.pool}`);
      return undefined;
    }
    if (type === 'trainer.job.started') {
      const data = envelope.data as EventData<'trainer.job.started'>;
      const run = this.touch(data, time);
      run.family = data.family;
      run.epochs = data.epochs;
      run.state = 'running';
      run.attempts.push({
        time,
        node_id: data.node_id,
        backend: data.backend,
        resumed_from_epoch: data.resumed_from_epoch,
      });
      this.logLine(
        run,
        time,
        'info',
        data.resumed_from_epoch > 0
          ? `resumed on ${data.node_id} from the checkpoint of epoch ${data.resumed_from_epoch}`
          : `started on ${data.node_id} (${data.backend}), ${data.epochs} epochs`,
      );
      return undefined;
    }
    if (type === 'trainer.job.progress') {
      const data = envelope.data as EventData<'trainer.job.progress'>;
      const run = this.touch(data, time);
      run.epochs = data.epochs;
      if (run.state === 'queued') run.state = 'running';
      const values: Record<string, number> = {};
      for (const [name, v] of Object.entries(data.losses)) values[`loss.${name}`] = v;
      for (const [name, v] of Object.entries(data.metrics)) values[`metric.${name}`] = v;
      const at = run.epochIndex.length;
      run.epochIndex.push(data.epoch);
      for (const [key, v] of Object.entries(values)) {
        let curve = run.curves.get(key);
        if (!curve) run.curves.set(key, (curve = new Array<number | null>(at).fill(null)));
        curve.push(v);
      }
      for (const curve of run.curves.values()) if (curve.length === at) curve.push(null);
      return { job_id: data.job_id, epoch: data.epoch, values };
    }
    if (type === 'trainer.job.succeeded') {
      const data = envelope.data as EventData<'trainer.job.succeeded'>;
      const run = this.touch(data, time);
      run.state = 'succeeded';
      run.model = data.model;
      run.version = data.version;
      this.logLine(
        run,
        time,
        'info',
        `succeeded after ${data.epochs_run} epochs: ${data.model}@${data.version}`,
      );
      return undefined;
    }
    if (type === 'trainer.job.failed') {
      const data = envelope.data as EventData<'trainer.job.failed'>;
      const run = this.run(data.job_id, time);
      run.state = 'failed';
      run.updated_at = time;
      this.logLine(run, time, 'error', `failed: ${data.reason}`);
      return undefined;
    }
    if (type === 'trainer.job.cancelled') {
      const data = envelope.data as EventData<'trainer.job.cancelled'>;
      const run = this.touch(data, time);
      run.state = 'cancelled';
      this.logLine(run, time, 'info', `cancelled at epoch ${data.epoch}`);
    }
    return undefined;
  }

  /** Every run, the most recently updated first. */
  list(): RunSummary[] {
    return [...this.runs.values()]
      .sort((a, b) => b.updated_at.localeCompare(a.updated_at) || a.job_id.localeCompare(b.job_id))
      .map(summarize);
  }

  detail(jobId: string): RunDetail | undefined {
    const run = this.runs.get(jobId);
    return run && { ...summarize(run), attempts: [...run.attempts], log: [...run.log] };
  }

  /** The run's curves, each thinned to at most `maxPoints` (min and max per bucket kept). */
  curves(jobId: string, maxPoints: number, keys?: readonly string[]): RunCurve[] | undefined {
    const run = this.runs.get(jobId);
    if (!run) return undefined;
    return [...run.curves.entries()]
      .filter(([key]) => !keys || keys.includes(key))
      .map(([key, y]) => ({ key, ...downsampleMinMax({ x: run.epochIndex, y }, maxPoints) }));
  }

  private run(jobId: string, time: string): Run {
    let run = this.runs.get(jobId);
    if (!run) {
      run = {
        job_id: jobId,
        family: '',
        pool: '',
        node_id: '',
        backend: '',
        state: 'queued',
        epochs: 0,
        started_at: time,
        updated_at: time,
        model: '',
        version: 0,
        epochIndex: [],
        curves: new Map(),
        attempts: [],
        log: [],
      };
      this.runs.set(jobId, run);
    }
    return run;
  }

  private touch(data: { job_id: string; pool: string; node_id: string; backend: string }, time: string): Run {
    const run = this.run(data.job_id, time);
    run.pool = data.pool;
    run.node_id = data.node_id;
    run.backend = data.backend;
    if (time > run.updated_at) run.updated_at = time;
    return run;
  }

  private logLine(run: Run, time: string, level: RunLogLine['level'], text: string): void {
    run.log.push({ time, level, text });
    if (run.log.length > MAX_LOG_LINES) run.log.splice(0, run.log.length - MAX_LOG_LINES);
  }
}

function summarize(run: Run): RunSummary {
  const last: Record<string, number> = {};
  for (const [key, curve] of run.curves) {
    for (let i = curve.length - 1; i >= 0; i--) {
      const v = curve[i];
      if (v !== null && v !== undefined) {
        last[key] = v;
        break;
      }
    }
  }
  return {
    job_id: run.job_id,
    family: run.family,
    pool: run.pool,
    node_id: run.node_id,
    backend: run.backend,
    state: run.state,
    epoch: run.epochIndex.at(-1) ?? 0,
    epochs: run.epochs,
    keys: [...run.curves.keys()].sort(),
    last,
    started_at: run.started_at,
    updated_at: run.updated_at,
    model: run.model,
    version: run.version,
  };
}
