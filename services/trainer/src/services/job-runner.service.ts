import { type EventData, parseInput } from '@aimass/contracts';
import { InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { columnSummaries, DatasetError, type ReferenceStatistics } from '@aimass/datasets';
import { type PreparedData, prepare } from '../datasets/preprocessing.js';
import { type JobSpec, validateSpec } from '../dtos/job-spec.dto.js';
import { type TrainingRequestEvent, TrainingRequestEventSchema } from '../dtos/training-request.dto.js';
import { CheckpointRepository } from '../repositories/checkpoint.repository.js';
import { ComputeBackendRepository } from '../repositories/compute-backend.repository.js';
import { DatasetRepository } from '../repositories/dataset.repository.js';
import { JobQueueRepository } from '../repositories/job-queue.repository.js';
import { JobStoreRepository } from '../repositories/job-store.repository.js';
import { ModelRegistryRepository } from '../repositories/model-registry.repository.js';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import type { TrainingPlacement } from '../repositories/tfjs-training-session.js';
import {
  type JobDisposition,
  type PulledJob,
  WorkQueueRepository,
} from '../repositories/work-queue.repository.js';
import { isFinished, type JobRecord, newJobRecord } from '../jobs/job-record.js';
import { specHyperparameters } from '../jobs/spec-hyperparameters.js';
import {
  compareParity,
  ExportParityError,
  mixtureParityCase,
  networkParityCases,
  PARITY,
  type ParityCase,
  parityFailure,
  rawRows,
} from '../training/export-parity.js';
import { generatedModelCard } from '../training/generated-card.js';
import { GmmFitError, trainGmm } from '../training/gmm-training.js';
import { metricProblem } from '../training/metric-registry.js';
import {
  type EpochReport,
  TrainingDivergedError,
  trainNetwork,
  type TrainingOutcome,
} from '../training/network-training.js';
import { TrainerNodeService } from './trainer-node.service.js';

const HEARTBEAT_MS = 5_000;
/** Unexpected failures (S3 or registry outages) are retried this many deliveries before the job fails. */
const MAX_ATTEMPTS = 5;

/** What every event about one run of a job carries. */
type JobEventBase = Pick<
  EventData<'trainer.job.progress'>,
  'job_id' | 'pool' | 'backend' | 'adapter' | 'node_id'
>;

/** The job's own fault: it fails, saying why, and is never retried. */
class JobRejectedError extends Error {
  override readonly name = 'JobRejectedError';
}

/**
 * Runs the jobs this node pulls from its pool's work queue: resume from the last checkpoint, train
 * epoch by epoch (progress events, checkpoints, cancel checks between batches), export to ONNX and
 * register the result exactly once. Every outcome ends in the job record and a job event.
 */
@Injectable()
export class JobRunnerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobRunnerService.name);
  private readonly cancelRequested = new Map<string, boolean>();
  /** The attempt this node is running for each job id; a second delivery of the job joins it. */
  private readonly attempts = new Map<string, Promise<JobDisposition>>();
  private cancelWatch: { stop(): void } | undefined;
  private heartbeats: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(
    private readonly node: TrainerNodeService,
    private readonly backends: ComputeBackendRepository,
    private readonly store: JobStoreRepository,
    private readonly queue: JobQueueRepository,
    private readonly work: WorkQueueRepository,
    private readonly datasets: DatasetRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly registry: ModelRegistryRepository,
    private readonly onnx: OnnxRuntimeRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.node.useBackend(await this.backends.select());
    this.cancelWatch = await this.store.watchAll((record) => {
      if (record.cancel_requested && this.cancelRequested.has(record.job_id))
        this.cancelRequested.set(record.job_id, true);
    });
    await this.work.start(this.node.pool, this.node.concurrency, (job) => this.run(job));
    const beat = () => this.queue.heartbeat(this.node.heartbeat());
    beat();
    this.heartbeats = setInterval(beat, HEARTBEAT_MS);
  }

  /** Running jobs stop at the next batch and go back to the queue; their checkpoints carry them on elsewhere. */
  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    clearInterval(this.heartbeats);
    this.cancelWatch?.stop();
    await this.work.stop();
  }

  /**
   * A job redelivered while this node still runs it (its in-progress acks were lost while NATS was
   * frozen or restarting, so JetStream gave up on the first delivery) joins the running attempt and
   * settles with it: two attempts of one job on one node would train twice and race to register.
   */
  async run(pulled: PulledJob): Promise<JobDisposition> {
    let jobId: string;
    let request: TrainingRequestEvent;
    try {
      request = parseInput(TrainingRequestEventSchema, pulled.envelope, 'training job');
      jobId = request.data.job_id ?? pulled.envelope.id;
    } catch (err) {
      this.logger.error(`dropping job message ${pulled.envelope.id}: ${(err as Error).message}`);
      return 'done';
    }
    const running = this.attempts.get(jobId);
    if (running) {
      this.logger.warn(`job ${jobId} was delivered again while it runs here; the delivery follows that run`);
      return running;
    }
    const attempt = this.attempt(jobId, request, pulled.deliveryCount);
    this.attempts.set(jobId, attempt);
    try {
      return await attempt;
    } finally {
      this.attempts.delete(jobId);
    }
  }

  private async attempt(
    jobId: string,
    request: TrainingRequestEvent,
    deliveryCount: number,
  ): Promise<JobDisposition> {
    let record = await this.store.find(jobId);
    if (!record) {
      // Put on the work queue directly, without a request: it gets its record here.
      record = newJobRecord(jobId, request.data.pool, request.data.spec);
      await this.store.create(record).catch(() => undefined);
      record = await this.store.get(jobId);
    }
    if (isFinished(record.state)) return 'done';
    if (record.cancel_requested) {
      await this.finishCancelled(jobId, 0);
      return 'done';
    }
    this.node.jobStarted();
    this.cancelRequested.set(jobId, false);
    try {
      await this.execute(jobId, record);
      return 'done';
    } catch (err) {
      if (
        err instanceof JobRejectedError ||
        err instanceof DatasetError ||
        err instanceof TrainingDivergedError ||
        err instanceof GmmFitError ||
        err instanceof ExportParityError ||
        err instanceof InvalidArgumentError
      ) {
        await this.fail(jobId, err.message);
        return 'done';
      }
      if (deliveryCount >= MAX_ATTEMPTS) {
        await this.fail(jobId, `gave up after ${deliveryCount} attempts: ${(err as Error).message}`);
        return 'done';
      }
      this.logger.error(
        `job ${jobId} attempt ${deliveryCount} failed, will retry: ${(err as Error).stack ?? String(err)}`,
      );
      return 'retry';
    } finally {
      this.cancelRequested.delete(jobId);
      this.node.jobEnded();
    }
  }

  private async execute(jobId: string, record: JobRecord): Promise<void> {
    const spec = validateSpec(record.spec);
    const base = {
      job_id: jobId,
      pool: this.node.pool,
      backend: this.node.computeBackend,
      ...this.adapterField(),
      node_id: this.node.id,
    };
    const dataset = await this.datasets.load(spec.dataset);
    checkDataFits(spec, dataset.features, dataset.labels !== undefined);
    // A mixture's graph takes raw features, so it is fitted on them.
    const scaling = spec.family === 'gmm' ? 'none' : spec.preprocessing.scaling;
    const data = prepare(dataset, {
      scaling,
      validationSplit: spec.preprocessing.validation_split,
      seed: spec.preprocessing.seed,
    });
    if (spec.family === 'gmm') {
      await this.store.update(jobId, (r) => ({
        ...r,
        state: 'RUNNING',
        node_id: this.node.id,
        backend: 'em-cpu',
        adapter: '',
        epochs: spec.epochs,
        family: spec.family,
      }));
      await this.runGmm(jobId, spec, data, dataset.digest, dataset.description);
      return;
    }
    const resume = await this.checkpoints.latest(jobId);
    await this.store.update(jobId, (r) => ({
      ...r,
      state: 'RUNNING',
      node_id: this.node.id,
      backend: this.node.computeBackend,
      adapter: this.node.adapter,
      epochs: spec.epochs,
      family: spec.family,
    }));
    await this.queue.publish('trainer.job.started', {
      ...base,
      family: spec.family,
      epochs: spec.epochs,
      resumed_from_epoch: resume?.epoch ?? 0,
    });
    this.logger.log(
      resume
        ? `job ${jobId}: resumed ${spec.family} from the checkpoint of epoch ${resume.epoch} of ${spec.epochs} on ${this.node.computeBackend}`
        : `job ${jobId}: started ${spec.family}, ${spec.epochs} epochs on ${this.node.computeBackend}`,
    );

    const outcome = await trainNetwork(
      jobId,
      spec,
      data,
      resume,
      {
        shouldStop: () => this.shuttingDown || this.cancelRequested.get(jobId) === true,
        onEpoch: (report) => this.reportProgress(base, report),
        saveCheckpoint: (checkpoint) => this.checkpoints.save(checkpoint),
      },
      this.backends.training(this.placement()),
    );
    if (outcome.stopped && this.cancelRequested.get(jobId) !== true)
      throw new Error('this node is shutting down; the job goes back to the queue');
    if (outcome.stopped) {
      await this.finishCancelled(jobId, outcome.resumedFrom + outcome.epochsRun);
      return;
    }
    const sample = Math.min(PARITY.rows, data.trainRows);
    const registered = await this.register(
      jobId,
      spec,
      outcome,
      outcome.network
        ? networkParityCases(outcome.network, rawRows(data.train, sample, data.scaling), sample)
        : [],
      dataset.digest,
      dataset.description,
      data.reference,
    );
    await this.succeed(
      jobId,
      base,
      registered,
      finite(outcome.final?.metrics ?? {}),
      outcome.resumedFrom + outcome.epochsRun,
      'epochs',
    );
  }

  /**
   * The epoch on the job record and a `trainer.job.progress` event. Progress is not worth an attempt:
   * while NATS is away both time out, and the job trains on (its checkpoints are in S3); the next
   * epoch's report, or the final state, brings the record up to date.
   */
  private async reportProgress(base: JobEventBase, report: EpochReport): Promise<void> {
    try {
      await this.store.update(base.job_id, (r) => ({
        ...r,
        epoch: report.epoch,
        losses: report.losses,
        metrics: finite(report.metrics),
        samples_per_second: report.samplesPerSecond,
      }));
      await this.queue.publish('trainer.job.progress', {
        ...base,
        epoch: report.epoch,
        epochs: report.epochs,
        losses: finite(report.losses),
        metrics: finite(report.metrics),
        samples_per_second: report.samplesPerSecond,
        learning_rate: report.learningRate,
      });
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      this.logger.warn(`job ${base.job_id}: epoch ${report.epoch} not reported, training on: ${err.message}`);
    }
  }

  /**
   * EM in one call (see trainGmm). A cancel that arrived before it finished wins over registering;
   * its iterations are then reported as progress.
   */
  private async runGmm(
    jobId: string,
    spec: JobSpec,
    data: PreparedData,
    digest: string,
    description: string,
  ): Promise<void> {
    const base = { job_id: jobId, pool: this.node.pool, backend: 'em-cpu', node_id: this.node.id };
    await this.queue.publish('trainer.job.started', {
      ...base,
      family: 'gmm',
      epochs: spec.epochs,
      resumed_from_epoch: 0,
    });
    this.logger.log(`job ${jobId}: started gmm, at most ${spec.epochs} EM iterations`);
    const outcome = trainGmm(spec, data);
    const perIteration =
      (data.trainRows * outcome.final.epoch) /
      Math.max(outcome.seconds, 1e-9) /
      Math.max(outcome.final.epoch, 1);
    for (const it of outcome.iterations) {
      await this.queue.publish('trainer.job.progress', {
        ...base,
        epoch: it.epoch,
        epochs: spec.epochs,
        losses: finite(it.losses),
        metrics: finite(it.metrics),
        samples_per_second: perIteration,
        learning_rate: 0,
      });
    }
    await this.store.update(jobId, (r) => ({
      ...r,
      epoch: outcome.final.epoch,
      losses: finite(outcome.final.losses),
      metrics: finite(outcome.final.metrics),
      samples_per_second: perIteration,
    }));
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.cancelRequested.get(jobId) === true) {
      await this.finishCancelled(jobId, outcome.final.epoch);
      return;
    }
    const registered = await this.register(
      jobId,
      spec,
      {
        stopped: false,
        batchSize: data.trainRows,
        learningRate: 0,
        epochsRun: outcome.final.epoch,
        resumedFrom: 0,
        final: outcome.final,
        graphs: outcome.graphs,
        threshold: outcome.threshold,
      },
      [
        mixtureParityCase(
          outcome.model,
          data.train.subarray(0, Math.min(PARITY.rows, data.trainRows) * data.features),
          Math.min(PARITY.rows, data.trainRows),
          outcome.threshold,
        ),
      ],
      digest,
      description,
      data.reference,
      'em-cpu',
    );
    await this.succeed(
      jobId,
      base,
      registered,
      finite(outcome.final.metrics),
      outcome.final.epoch,
      'EM iterations',
    );
  }

  /** The job's record, its `trainer.job.succeeded` event and its log line, once its versions are registered. */
  private async succeed(
    jobId: string,
    base: Omit<
      EventData<'trainer.job.succeeded'>,
      'model' | 'version' | 'artifacts' | 'metrics' | 'epochs_run'
    >,
    registered: { model: string; version: number; artifacts: Record<string, string> },
    metrics: Record<string, number>,
    epochsRun: number,
    unit: string,
  ): Promise<void> {
    // Two attempts of one job (a redelivery while the first still ran) register the same version
    // (the registry keeps one per job); only the one that marks the job SUCCEEDED announces it.
    let announce = false;
    await this.store.update(jobId, (r) => {
      announce = r.state !== 'SUCCEEDED';
      return announce
        ? {
            ...r,
            state: 'SUCCEEDED',
            model: registered.model,
            version: registered.version,
            metrics,
            reason: '',
          }
        : undefined;
    });
    if (!announce) {
      this.logger.log(
        `job ${jobId}: another attempt already succeeded with ${registered.model} version ${registered.version}`,
      );
      return;
    }
    await this.queue.publish('trainer.job.succeeded', {
      ...base,
      model: registered.model,
      version: registered.version,
      artifacts: registered.artifacts,
      metrics,
      epochs_run: epochsRun,
    });
    this.logger.log(
      `job ${jobId}: succeeded after ${epochsRun} ${unit}; registered ${registered.model} version ${registered.version}`,
    );
  }

  /** Encoder and decoder first, the primary graph (anomaly scorer or generator) last, each once per job. */
  private async register(
    jobId: string,
    spec: JobSpec,
    outcome: TrainingOutcome,
    parity: readonly ParityCase[],
    digest: string,
    dataset: string,
    reference: ReferenceStatistics,
    backend = this.node.computeBackend,
  ): Promise<{ model: string; version: number; artifacts: Record<string, string> }> {
    const model = spec.model_name ?? `${spec.family}-${jobId}`.slice(0, 100);
    const primary = spec.family === 'gan' ? 'generator' : spec.family === 'gmm' ? 'mixture' : 'anomaly';
    const roles = Object.keys(outcome.graphs).sort((a, b) => Number(a === primary) - Number(b === primary));
    const adapter = backend === 'em-cpu' ? '' : this.node.adapter;
    const tags = {
      'aimass.family': spec.family,
      'aimass.dataset': dataset.slice(0, 1024),
      'aimass.backend': backend,
      ...(adapter ? { 'aimass.adapter': adapter } : {}),
    };
    // What the run actually used, beside the spec: the backend may have picked the batch and scaled the rate.
    const used = {
      'run.backend': backend,
      ...(adapter ? { 'run.adapter': adapter } : {}),
      ...(spec.family === 'gmm'
        ? {}
        : { 'run.batch_size': String(outcome.batchSize), 'run.learning_rate': String(outcome.learningRate) }),
    };
    const measured = await this.checkParity(jobId, outcome.graphs, parity);
    const lineage = {
      source_job_id: jobId,
      study_id: spec.study?.study_id ?? '',
      dataset_digest: digest,
      hyperparameters: {
        ...specHyperparameters(spec),
        ...used,
        ...(outcome.exportedEpoch !== undefined
          ? { 'run.exported_epoch': String(outcome.exportedEpoch) }
          : {}),
        'parity.rows': String(parity[0]?.rows ?? 0),
        'parity.rtol': String(PARITY.rtol),
        'parity.atol': String(PARITY.atol),
      },
      metrics: {
        ...finite(outcome.final?.metrics ?? {}),
        ...measured,
        ...(outcome.threshold !== undefined && Number.isFinite(outcome.threshold)
          ? { threshold: outcome.threshold }
          : {}),
      },
    };
    const referenceStatistics = toReferenceStatistics(reference);
    const artifacts: Record<string, string> = {};
    let version = 0;
    for (const role of roles) {
      const name = role === primary ? model : `${model}-${role}`;
      const v = await this.registry.register({
        model: name,
        onnx: outcome.graphs[role] as Uint8Array,
        alias: role === primary ? spec.alias : undefined,
        description: `${spec.family} ${role} trained by job ${jobId}`,
        tags: { ...tags, 'aimass.role': role },
        lineage,
        referenceStatistics,
        framework: `aimass-${spec.family}`,
        modelCard: generatedModelCard({
          jobId,
          family: spec.family,
          model: name,
          role,
          dataset,
          datasetDigest: digest,
          registeredDataset: 'name' in spec.dataset ? dataset : undefined,
          hyperparameters: lineage.hyperparameters,
          metrics: lineage.metrics,
        }),
        jobId,
      });
      artifacts[role] = `${name}@${v}`;
      if (role === primary) version = v;
    }
    return { model, version, artifacts };
  }

  /**
   * Scores the sample with every exported graph in onnxruntime and compares each output with the
   * trainer's own scoring (see export-parity.ts). Throws ExportParityError, which fails the job, when
   * one disagrees; returns the largest difference per output for the lineage.
   */
  private async checkParity(
    jobId: string,
    graphs: Record<string, Uint8Array>,
    cases: readonly ParityCase[],
  ): Promise<Record<string, number>> {
    const served: Record<string, Record<string, Float32Array>> = {};
    for (const c of cases) {
      const graph = graphs[c.role];
      if (graph) served[c.role] = await this.onnx.run(graph, c.inputName, c.input, c.rows, c.width);
    }
    const results = compareParity(cases, served);
    const failure = parityFailure(results, cases);
    if (failure) throw new ExportParityError(failure);
    const worst = results.reduce((a, r) => Math.max(a, r.worstRatio), 0);
    this.logger.log(
      `job ${jobId}: the exported graphs reproduce the trained model on ${cases[0]?.rows ?? 0} rows (${results.length} outputs, at most ${worst.toPrecision(2)}× the tolerance)`,
    );
    return Object.fromEntries(
      results.map((r) => [`parity.${r.role}.${r.output}.max_abs_diff`, r.maxAbsDiff]),
    );
  }

  private async fail(jobId: string, reason: string): Promise<void> {
    this.logger.warn(`job ${jobId} failed: ${reason}`);
    const record = await this.store.update(jobId, (r) =>
      isFinished(r.state) ? undefined : { ...r, state: 'FAILED', reason },
    );
    await this.queue.reportFailed({
      job_id: jobId,
      pool: record.pool,
      backend: this.node.computeBackend,
      ...this.adapterField(),
      reason,
    });
  }

  private async finishCancelled(jobId: string, epoch: number): Promise<void> {
    this.logger.log(`job ${jobId}: cancelled after ${epoch} epochs`);
    const record = await this.store.update(jobId, (r) =>
      isFinished(r.state)
        ? undefined
        : { ...r, state: 'CANCELLED', reason: `cancelled after ${epoch} epochs` },
    );
    await this.queue.publish('trainer.job.cancelled', {
      job_id: jobId,
      pool: record.pool,
      backend: this.node.computeBackend,
      ...this.adapterField(),
      node_id: this.node.id,
      epoch,
    });
  }

  private adapterField(): { adapter?: string } {
    return this.node.adapter ? { adapter: this.node.adapter } : {};
  }

  private placement(): TrainingPlacement {
    const backend = this.node.backendProfile;
    return {
      defaultBatchSize: backend?.defaultBatchSize ?? 64,
      maxResidentBytes: backend?.maxResidentBytes ?? Number.MAX_SAFE_INTEGER,
    };
  }
}

/** Checks only the data can answer: its width against the latent size, and labels for label metrics. */
function checkDataFits(spec: JobSpec, features: number, labelled: boolean): void {
  if ((spec.family === 'ae' || spec.family === 'vae') && spec.architecture.latent_dim >= features) {
    throw new JobRejectedError(
      `latent_dim ${spec.architecture.latent_dim} must be smaller than the dataset's ${features} features`,
    );
  }
  for (const name of spec.metrics) {
    const problem = metricProblem(name, spec.family, labelled);
    if (problem) throw new JobRejectedError(problem);
  }
}

/** JSON and KV cannot hold NaN or Infinity; a metric that has no value is left out. */
function finite(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
}

/** Features are named f0, f1, ... in input order, as the exported graphs read them. */
function toReferenceStatistics(stats: ReferenceStatistics) {
  return {
    sample_count: stats.count,
    computed_at: new Date().toISOString(),
    features: columnSummaries(
      stats,
      stats.mean.map((_, f) => `f${f}`),
    ),
  };
}
