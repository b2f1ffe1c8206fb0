import type { tunerv1 } from '@aimass/contracts';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, tunerClient, watchTunerEvents } from './harness.js';

// Ask/tell studies against a real tuner on a real nats-server: validation, parallel asks, budget,
// pruning reports, importance, events, and a kill -9 of the tuner with trials in flight.

let mesh: Mesh;
let client: tunerv1.TunerServiceClient;
let events: Awaited<ReturnType<typeof watchTunerEvents>>;

beforeAll(async () => {
  mesh = await startMesh({ stateDir: makeScratchDir('tuner-ask-tell'), services: ['tuner'] });
  client = tunerClient(mesh);
  events = await watchTunerEvents(mesh.env.AIMASS_NATS_URL!);
}, 120_000);

afterAll(async () => {
  client?.close();
  await events?.nc.drain();
  await mesh?.stop();
});

const SPACE = {
  x: { type: 'float', low: -5, high: 10 },
  y: { type: 'float', low: 0, high: 15 },
};
const branin = (x: number, y: number) =>
  (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 +
  10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) +
  10;

const create = (spec: object, studyId = '') =>
  call<tunerv1.Study__Output>(client, 'CreateStudy', { spec_json: JSON.stringify(spec), study_id: studyId });
const ask = (studyId: string) => call<tunerv1.Trial__Output>(client, 'Ask', { study_id: studyId });
const tell = (studyId: string, trial: number, state: string, value = 0) =>
  call<tunerv1.Trial__Output>(client, 'Tell', { study_id: studyId, trial, state, value, reason: '' });
const get = (studyId: string) => call<tunerv1.Study__Output>(client, 'GetStudy', { study_id: studyId });

const TEMPLATE = {
  family: 'ae',
  dataset: { builtin: 'mnist', rows: 500 },
  architecture: { hidden: ['{{hidden}}'], latent_dim: 8 },
  optimizer: { learning_rate: '{{lr}}' },
  epochs: 3,
};
const GOOD = {
  name: 'good',
  space: {
    lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
    hidden: { type: 'int', low: 16, high: 256 },
  },
  budget: { trials: 4 },
  template: TEMPLATE,
};

describe('CreateStudy validation', () => {
  it.each([
    ['an empty space', { ...GOOD, space: {} }, 'space: must define at least one parameter'],
    [
      'low >= high',
      { ...GOOD, space: { lr: { type: 'float', low: 1, high: 1 } } },
      'space.lr.high: must be greater than low',
    ],
    [
      'a log scale with low <= 0',
      { ...GOOD, space: { lr: { type: 'float', low: 0, high: 1, log: true } } },
      'space.lr.low: must be positive on a log scale',
    ],
    ['an unknown sampler', { ...GOOD, sampler: { type: 'cmaes' } }, 'sampler.type: unknown sampler "cmaes"'],
    ['an unknown pruner', { ...GOOD, pruner: { type: 'patient' } }, 'pruner.type: unknown pruner "patient"'],
    [
      'a template that is not a job spec',
      { ...GOOD, template: { ...TEMPLATE, family: 'transformer' } },
      'template.family: family must be one of',
    ],
    [
      'a template whose parameter breaks the spec',
      { ...GOOD, template: { ...TEMPLATE, epochs: '{{hidden}}', architecture: { latent_dim: '{{lr}}' } } },
      'template.architecture.latent_dim',
    ],
    [
      'a template naming no parameter',
      { ...GOOD, template: { ...TEMPLATE, optimizer: { learning_rate: '{{eta}}' } } },
      'template: "{{eta}}" names no parameter',
    ],
    ['no budget', { ...GOOD, budget: {} }, 'budget: give trials, seconds or both'],
    ['a grid over a continuous float', { ...GOOD, sampler: { type: 'grid' } }, 'sampler.type:'],
    [
      'an alias without a template',
      { name: 'a', space: SPACE, budget: { trials: 1 }, alias: 'staging' },
      'alias: needs a template',
    ],
    ['a bad name', { ...GOOD, name: 'no spaces' }, 'name:'],
  ])('refuses %s with INVALID_ARGUMENT naming the field', async (_what, spec, message) => {
    const err = await create(spec).catch((e: { code: number; details: string }) => e);
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((err as { details: string }).details).toContain(message);
  });

  it('accepts a valid training study and fills in the defaults', async () => {
    const study = await create(GOOD);
    expect(study).toMatchObject({
      state: 'RUNNING',
      mode: 'training',
      sampler: 'tpe',
      pruner: 'none',
      max_trials: 4,
    });
    // Its trials are the tuner's to run: a caller cannot ask for or end one.
    await expect(ask(study.study_id)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(tell(study.study_id, 0, 'COMPLETE', 1)).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await call(client, 'StopStudy', { study_id: study.study_id });
  });
});

describe('an ask/tell study', () => {
  it('hands parallel workers distinct trials, keeps the budget and ends with the best', async () => {
    const study = await create({
      name: 'branin',
      space: SPACE,
      sampler: { type: 'tpe', seed: 3 },
      budget: { trials: 24 },
      parallelism: 4,
    });
    const id = study.study_id;
    // Four workers ask concurrently, each tells its value and asks again until the budget is spent.
    const worker = async () => {
      for (;;) {
        let trial: tunerv1.Trial__Output;
        try {
          trial = await ask(id);
        } catch (err) {
          if ((err as { code: number }).code === status.FAILED_PRECONDITION) return;
          throw err;
        }
        const p = JSON.parse(trial.params_json) as { x: number; y: number };
        await tell(id, trial.number, 'COMPLETE', branin(p.x, p.y));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const done = await get(id);
    expect(done.state).toBe('COMPLETED');
    expect(done.trials).toHaveLength(24);
    expect(done.trials.map((t) => t.number)).toEqual([...Array(24).keys()]);
    expect(new Set(done.trials.map((t) => t.params_json)).size).toBe(24);
    const best = Math.min(...done.trials.map((t) => t.value));
    expect(done.best_trial?.value).toBe(best);
    await eventually(
      'study.completed',
      () => (events.of(id, 'tuner.study.completed').length === 1 ? true : undefined),
      { timeoutMs: 45_000 },
    );
    expect(events.of(id, 'tuner.trial.started')).toHaveLength(24);
    expect(events.of(id, 'tuner.trial.completed')).toHaveLength(24);
    const imp = await call<tunerv1.ImportanceResponse__Output>(client, 'GetImportance', { study_id: id });
    expect(imp.importances.map((i) => i.name).sort()).toEqual(['x', 'y']);
    expect(imp.importances.reduce((s, i) => s + i.importance, 0)).toBeCloseTo(1, 6);
    await expect(ask(id)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
  });

  it('refuses a trial past the parallelism, a second different Tell, and prunes on reports', async () => {
    const study = await create({
      name: 'pruned',
      space: SPACE,
      sampler: { type: 'random', seed: 1 },
      pruner: { type: 'median', nStartupTrials: 0, nWarmupSteps: 0 },
      budget: { trials: 10 },
      parallelism: 2,
    });
    const id = study.study_id;
    const a = await ask(id);
    const b = await ask(id);
    await expect(ask(id)).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    const report = (trial: number, value: number) =>
      call<tunerv1.ReportResponse__Output>(client, 'Report', { study_id: id, trial, step: 1, value });
    expect((await report(a.number, 1)).should_prune).toBe(false);
    expect((await report(b.number, 5)).should_prune).toBe(true);
    const pruned = await tell(id, b.number, 'PRUNED');
    expect(pruned.state).toBe('PRUNED');
    await eventually('trial.pruned', () => events.of(id, 'tuner.trial.pruned')[0], { timeoutMs: 45_000 });
    await tell(id, a.number, 'COMPLETE', 2);
    expect((await tell(id, a.number, 'COMPLETE', 2)).value).toBe(2);
    await expect(tell(id, a.number, 'FAILED')).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await expect(tell(id, 99, 'FAILED')).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(get('no-such-study')).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('survives kill -9 of the tuner with trials in flight: no trial lost, none handed out twice', async () => {
    const study = await create({
      name: 'crash',
      space: SPACE,
      sampler: { type: 'gp', seed: 2 },
      budget: { trials: 12 },
      parallelism: 3,
    });
    const id = study.study_id;
    for (let i = 0; i < 5; i++) {
      const t = await ask(id);
      await tell(id, t.number, 'COMPLETE', i);
    }
    const inFlight = [await ask(id), await ask(id), await ask(id)];
    mesh.services.get('tuner')!.child.signal('SIGKILL');
    await mesh.restartService('tuner');
    client.close();
    client = tunerClient(mesh);
    const resumed = await get(id);
    expect(resumed.state).toBe('RUNNING');
    expect(resumed.trials.map((t) => t.state)).toEqual([
      ...Array(5).fill('COMPLETE'),
      ...Array(3).fill('RUNNING'),
    ]);
    expect(resumed.trials.slice(5).map((t) => t.params_json)).toEqual(inFlight.map((t) => t.params_json));
    for (const t of inFlight) await tell(id, t.number, 'COMPLETE', 10 + t.number);
    for (;;) {
      const t = await ask(id).catch(() => undefined);
      if (!t) break;
      await tell(id, t.number, 'COMPLETE', t.number);
    }
    const done = await get(id);
    expect(done.state).toBe('COMPLETED');
    expect(done.trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
    expect(new Set(done.trials.map((t) => t.params_json)).size).toBe(12);
  });
});
