// `npm run bench -- tuner-pruning [--trials N] [--epochs E] [--rows R] [--parallelism P]`: what ASHA
// saves on real training. Two training studies on a real mesh (registry, trainer, tuner) tune an AE on
// MNIST rows over the learning rate, the hidden width and the latent size, 16 trials of 10 epochs by
// default: one without pruning (the baseline), one with ASHA (η 2, rungs at epochs 1, 2, 4, 8). Both use
// the random sampler with one seed, so they draw the same 16 configurations and the comparison is the
// pruner's alone; training is seeded (the spec's preprocessing seed fixes the split, the initial
// weights and the batch order), so a configuration that ASHA lets run to the end ends where it ends
// without pruning.
//   epochs_saved   epochs the trainer ran without pruning / with ASHA (counted by the trainer's jobs)
//   best_rel_diff  |best val_loss with ASHA - best without| / best without
import type { trainerv1, tunerv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { makeScratchDir, startMesh } from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { type Benchmark, positiveInt, printTable } from './benchmark.js';

const PRUNERS = {
  none: { type: 'none' },
  asha: { type: 'asha', minResource: 1, reductionFactor: 2 },
} as const;

const bench: Benchmark = {
  description: 'ASHA vs no pruning on a real AE tuning study (MNIST rows): epochs saved, best value kept',
  options: {
    trials: { type: 'string' },
    epochs: { type: 'string' },
    rows: { type: 'string' },
    parallelism: { type: 'string' },
  },
  async run(args) {
    const trials = positiveInt(args, 'trials', 16);
    const epochs = positiveInt(args, 'epochs', 10);
    const rows = positiveInt(args, 'rows', 1500);
    const parallelism = positiveInt(args, 'parallelism', 2);
    const mesh = await startMesh({
      stateDir: makeScratchDir('bench-tuner-pruning'),
      services: ['registry', 'trainer', 'tuner'],
      extraEnv: { AIMASS_LOG_LEVEL: 'warn', AIMASS_TRAINER_CONCURRENCY: String(parallelism) },
    });
    const tuner = createMeshClient<tunerv1.TunerServiceClient>('tuner', mesh.env.AIMASS_TUNER_GRPC!);
    const trainer = createMeshClient<trainerv1.TrainerServiceClient>(
      'trainer',
      mesh.env.AIMASS_TRAINER_GRPC!,
    );
    try {
      const outcome: Record<string, { best: number; epochs: number; seconds: number }> = {};
      for (const [name, pruner] of Object.entries(PRUNERS)) {
        const began = performance.now();
        const created = await unary<tunerv1.Study__Output>(tuner, 'CreateStudy', {
          study_id: `pruning-${name}`,
          spec_json: JSON.stringify({
            name: `pruning-${name}`,
            metric: 'val_loss',
            space: {
              lr: { type: 'float', low: 1e-4, high: 3e-2, log: true },
              hidden: { type: 'int', low: 32, high: 256, log: true },
              latent: { type: 'int', low: 4, high: 32, log: true },
            },
            sampler: { type: 'random', seed: 11 },
            pruner,
            budget: { trials },
            parallelism,
            template: {
              family: 'ae',
              dataset: { builtin: 'mnist', rows },
              architecture: { hidden: ['{{hidden}}'], latent_dim: '{{latent}}' },
              optimizer: { learning_rate: '{{lr}}' },
              epochs,
              batch_size: 64,
              model_name: `pruning-${name}`,
            },
          }),
        });
        const study = await waitForStudy(tuner, created.study_id, name, trials);
        const { jobs } = await unary<trainerv1.ListJobsResponse__Output>(trainer, 'ListJobs', {});
        const ran = jobs
          .filter((j) => j.job_id.startsWith(`${created.study_id}-t`))
          .reduce((sum, j) => sum + j.epoch, 0);
        outcome[name] = {
          best: study.best_trial!.value,
          epochs: ran,
          seconds: (performance.now() - began) / 1000,
        };
        printTable(
          ['trial', 'state', 'epochs', 'val_loss', 'params'],
          study.trials.map((t) => [
            t.number,
            t.state,
            Object.keys(t.intermediate).length,
            t.has_value ? t.value : (Object.values(t.intermediate).at(-1) ?? NaN),
            t.params_json,
          ]),
        );
      }
      const none = outcome.none!;
      const asha = outcome.asha!;
      process.stdout.write(`\n${trials} trials x ${epochs} epochs, AE on ${rows} MNIST rows\n`);
      printTable(
        ['pruner', 'epochs trained', 'best val_loss', 'seconds'],
        Object.entries(outcome).map(([n, o]) => [n, o.epochs, o.best, o.seconds]),
      );
      return {
        epochs_saved: none.epochs / asha.epochs,
        best_rel_diff: Math.abs(asha.best - none.best) / Math.abs(none.best),
      };
    } finally {
      tuner.close();
      trainer.close();
      await mesh.stop();
    }
  },
};
export default bench;

async function waitForStudy(
  tuner: tunerv1.TunerServiceClient,
  studyId: string,
  label: string,
  trials: number,
): Promise<tunerv1.Study__Output> {
  let shown = -1;
  for (;;) {
    const study = await unary<tunerv1.Study__Output>(tuner, 'GetStudy', { study_id: studyId });
    const ended = study.complete + study.pruned + study.failed;
    if (ended !== shown)
      process.stderr.write(
        `${label}: ${ended}/${trials} trials ended (${study.pruned} pruned, ${study.failed} failed)\n`,
      );
    shown = ended;
    if (study.state !== 'RUNNING') {
      if (!study.has_best) throw new Error(`study ${studyId} ended ${study.state} without a complete trial`);
      if (study.failed > 0)
        throw new Error(
          `study ${studyId}: ${study.failed} trial(s) failed: ${study.trials.find((t) => t.state === 'FAILED')?.reason}`,
        );
      return study;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function unary<Res>(client: unknown, method: string, request: object): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as Record<string, (r: object, cb: (e: ServiceError | null, r: Res) => void) => void>)[method]!(
      request,
      (err, res) => (err ? reject(new Error(`${method}: ${err.details || err.message}`)) : resolve(res)),
    ),
  );
}
