import type { registryv1, trainerv1, tunerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import {
  eventually,
  freePort,
  makeScratchDir,
  startMesh,
  startService,
  type Mesh,
  type ServiceProcess,
} from '@aimass/testing';
import { status } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/src/program.js';
import { call, tunerClient, watchTunerEvents } from './harness.js';

// Training studies on the real mesh: the tuner submits each trial as a trainer job, two trainer nodes
// pull them from the pool, the tuner follows their progress events, and the best version gets the
// study's alias. Then the tuner is killed with kill -9 while trials run, and the study still ends with
// exactly its budget of trials, each trained once.

let mesh: Mesh;
let second: ServiceProcess;
let tuner: tunerv1.TunerServiceClient;
let events: Awaited<ReturnType<typeof watchTunerEvents>>;
const logs = () =>
  ['tuner', 'trainer']
    .map((s) => `--- ${s}\n${mesh.services.get(s as 'tuner')?.child.logTail(40)}`)
    .join('\n');

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('tuner-training'),
    services: ['registry', 'trainer', 'tuner'],
    extraEnv: { AIMASS_TRAINER_CONCURRENCY: '2' },
  });
  second = await startService(
    'trainer',
    {
      ...mesh.env,
      AIMASS_TRAINER_GRPC: `127.0.0.1:${await freePort()}`,
      AIMASS_TRAINER_HTTP: `http://127.0.0.1:${await freePort()}`,
    },
    { logDir: path.join(mesh.logDir, 'trainer-2') },
  );
  tuner = tunerClient(mesh);
  events = await watchTunerEvents(mesh.env.AIMASS_NATS_URL!);
}, 180_000);

afterAll(async () => {
  tuner?.close();
  await events?.nc.drain();
  second?.child.signal('SIGTERM');
  await second?.child.exited;
  await mesh?.stop();
});

const study = (name: string, trials: number, epochs: number) => ({
  name,
  direction: 'minimize',
  metric: 'val_loss',
  space: {
    lr: { type: 'float', low: 1e-3, high: 3e-2, log: true },
    hidden: { type: 'int', low: 4, high: 32, step: 4 },
  },
  sampler: { type: 'tpe', seed: 7 },
  budget: { trials },
  parallelism: 4,
  template: {
    family: 'ae',
    dataset: { builtin: 'gaussian_blobs', rows: 600, features: 8 },
    architecture: { hidden: ['{{hidden}}'], latent_dim: 2 },
    optimizer: { learning_rate: '{{lr}}' },
    epochs,
    batch_size: 32,
    model_name: name,
  },
  alias: 'staging',
});

async function jobsOf(studyId: string): Promise<trainerv1.Job__Output[]> {
  const trainer = createMeshClient<trainerv1.TrainerServiceClient>('trainer', mesh.env.AIMASS_TRAINER_GRPC!);
  const { jobs } = await call<trainerv1.ListJobsResponse__Output>(trainer, 'ListJobs', {});
  trainer.close();
  return jobs.filter((j) => j.job_id.startsWith(`${studyId}-t`));
}

async function waitDone(studyId: string, timeoutMs: number): Promise<tunerv1.Study__Output> {
  return eventually(
    `study ${studyId} to complete\n${logs()}`,
    async () => {
      const s = await call<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: studyId }).catch(
        () => undefined,
      );
      return s?.state === 'COMPLETED' ? s : undefined;
    },
    { timeoutMs: timeoutMs },
  );
}

describe('a training study', () => {
  it('runs parallel trials on two trainer nodes with distinct parameters, each accounted for, and aliases the best', async () => {
    const created = await call<tunerv1.Study__Output>(tuner, 'CreateStudy', {
      spec_json: JSON.stringify(study('tuned-ae', 8, 3)),
      study_id: '',
    });
    const done = await waitDone(created.study_id, 240_000);
    expect(done.trials).toHaveLength(8);
    expect(new Set(done.trials.map((t) => t.params_json)).size).toBe(8);
    expect(
      done.trials.every((t) => t.state === 'COMPLETE' || t.state === 'PRUNED' || t.state === 'FAILED'),
    ).toBe(true);
    const jobs = await jobsOf(created.study_id);
    expect(jobs.map((j) => j.job_id).sort()).toEqual(done.trials.map((t) => t.job_id).sort());
    expect(new Set(jobs.map((j) => j.node_id)).size).toBe(2);
    const best = done.best_trial!;
    const registry = createMeshClient<registryv1.RegistryServiceClient>(
      'registry',
      mesh.env.AIMASS_REGISTRY_GRPC!,
    );
    const staged = await call<registryv1.ModelVersion__Output>(registry, 'GetVersion', {
      model: 'tuned-ae',
      version: 'staging',
    });
    registry.close();
    expect(staged.version).toBe(best.version);
    expect(staged.lineage?.study_id).toBe(created.study_id);
    expect(staged.lineage?.source_job_id).toBe(best.job_id);
    expect(staged.lineage?.hyperparameters['study.trial']).toBe(String(best.number));
    const completed = await eventually(
      'study.completed',
      () => events.of(created.study_id, 'tuner.study.completed')[0],
      { timeoutMs: 45_000 },
    );
    expect(completed.data).toMatchObject({
      alias: 'staging',
      version: best.version,
      best_trial: best.number,
    });
  }, 300_000);

  it('survives kill -9 of the tuner with trials in flight: exactly the budget, none lost, none trained twice', async () => {
    const created = await call<tunerv1.Study__Output>(tuner, 'CreateStudy', {
      spec_json: JSON.stringify(study('crash-ae', 8, 6)),
      study_id: '',
    });
    const id = created.study_id;
    await eventually(
      `trials in flight\n${logs()}`,
      async () => {
        const s = await call<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: id });
        return s.running >= 2 && s.trials.some((t) => Object.keys(t.intermediate).length > 0) ? s : undefined;
      },
      { timeoutMs: 120_000 },
    );
    mesh.services.get('tuner')!.child.signal('SIGKILL');
    await mesh.restartService('tuner');
    tuner.close();
    tuner = tunerClient(mesh);
    const done = await waitDone(id, 300_000);
    expect(done.trials.map((t) => t.number)).toEqual([...Array(8).keys()]);
    expect(new Set(done.trials.map((t) => t.params_json)).size).toBe(8);
    const jobs = await jobsOf(id);
    // One job per trial (no retries were needed), each started once by the tuner.
    expect(jobs).toHaveLength(8);
    expect(done.trials.every((t) => t.attempts === 1)).toBe(true);
    const started = events.of(id, 'tuner.trial.started').map((e) => e.data.trial);
    expect([...started].sort((a, b) => a! - b!)).toEqual([...Array(8).keys()]);
  }, 420_000);

  it('stops: running trials end FAILED and their jobs are cancelled', async () => {
    const created = await call<tunerv1.Study__Output>(tuner, 'CreateStudy', {
      spec_json: JSON.stringify(study('stopped-ae', 6, 20)),
      study_id: '',
    });
    const id = created.study_id;
    await eventually(
      `a trial in flight\n${logs()}`,
      async () => {
        const s = await call<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: id });
        return s.trials.some((t) => Object.keys(t.intermediate).length > 0) ? s : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const stopped = await call<tunerv1.Study__Output>(tuner, 'StopStudy', { study_id: id });
    expect(stopped.state).toBe('STOPPED');
    expect(stopped.running).toBe(0);
    expect(
      stopped.trials.filter((t) => t.state === 'FAILED').every((t) => t.reason === 'the study was stopped'),
    ).toBe(true);
    await eventually(
      `the study's jobs to stop\n${logs()}`,
      async () => {
        const jobs = await jobsOf(id);
        return jobs.length > 0 && jobs.every((j) => j.state === 'CANCELLED' || j.state === 'SUCCEEDED')
          ? jobs
          : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await expect(call(tuner, 'Ask', { study_id: id })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
  }, 240_000);

  it('is run from the CLI: tune --wait ends with "<model> <version> <best value>", studies list and show', async () => {
    const dir = makeScratchDir('tuner-cli');
    const studyFile = path.join(dir, 'study.json');
    fs.writeFileSync(studyFile, JSON.stringify({ ...study('cli-ae', 3, 2), parallelism: 2 }));
    const envFile = path.join(dir, 'stack.env');
    fs.writeFileSync(
      envFile,
      Object.entries(mesh.env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    const cli = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const io = {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t), isTTY: false },
        env: { AIMASS_STACK_ENV: envFile },
      };
      const code = await runCli(args, io as never);
      return { code, out: out.join(''), err: err.join('') };
    };
    const tuned = await cli(['tune', studyFile, '--wait', '--study-id', 'cli-study']);
    expect(tuned.code, tuned.err).toBe(0);
    expect(tuned.err).toContain('trials 3/3 ended');
    const last = tuned.out.trim().split('\n').at(-1)!.split(' ');
    const done = await call<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: 'cli-study' });
    expect(last).toEqual(['cli-ae', String(done.best_trial!.version), String(done.best_trial!.value)]);
    const list = await cli(['studies', 'list']);
    expect(list.out).toMatch(/cli-study\s+COMPLETED\s+training\s+tpe\/none\s+3\/3/);
    const show = await cli(['studies', 'show', 'cli-study']);
    expect(show.code, show.err).toBe(0);
    expect(show.out).toContain('PARAMETER');
    expect(show.out).toMatch(/^(lr|hidden)\s+\d\.\d{3}$/m);
    expect(show.out.match(/^\d+\s+COMPLETE\s/gm)).toHaveLength(3);
  }, 300_000);
});
