import type { registryv1 } from '@aimass/contracts';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { Client as S3Client } from 'minio';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/src/program.js';
import { call, registryClient, watchJobEvents } from './harness.js';

// A trainer dies with kill -9 in the middle of a job; another one takes the job over from the work
// queue once the dead node's in-progress acks stop, resumes from the last checkpoint and registers
// the result once. The user who submitted it with `aimass train --wait`, and one following it with
// `aimass jobs watch`, see the move and the result: they follow the job's events, not the node.
// The mesh encrypts at rest, so the checkpoint the second trainer resumes from is sealed in S3.

let mesh: Mesh;
let watch: Awaited<ReturnType<typeof watchJobEvents>>;
const logs = () => mesh.services.get('trainer')?.child.logTail(60) ?? '';
const JOB = 'e2e-survivor';
const EPOCHS = 10;

beforeAll(async () => {
  mesh = await startMesh({
    stateDir: makeScratchDir('trainer-kill'),
    services: ['registry', 'trainer'],
    encryption: true,
    extraEnv: { AIMASS_LOG_LEVEL: 'info' },
  });
  watch = await watchJobEvents(mesh.env.AIMASS_NATS_URL!);
});

afterAll(async () => {
  await watch?.nc.drain();
  await mesh?.stop();
});

async function storedObject(key: string): Promise<Buffer> {
  const url = new URL(mesh.s3.endpoint);
  const s3 = new S3Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: mesh.s3.accessKey,
    secretKey: mesh.s3.secretKey,
    region: 'us-east-1',
    pathStyle: true,
  });
  const chunks: Buffer[] = [];
  for await (const c of await s3.getObject(mesh.env.AIMASS_S3_BUCKET ?? 'aimass-artifacts', key))
    chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('a job whose trainer is killed', () => {
  it('resumes on another trainer from its checkpoint, with the epoch counter continuing, and is registered exactly once', async () => {
    const dir = makeScratchDir('trainer-kill-cli');
    const specFile = path.join(dir, 'spec.json');
    fs.writeFileSync(
      specFile,
      JSON.stringify({
        family: 'vae',
        dataset: { builtin: 'sine_waves', rows: 6000, features: 32 },
        architecture: { hidden: [64], latent_dim: 4 },
        epochs: EPOCHS,
        batch_size: 32,
        model_name: 'survivor',
      }),
    );
    const envFile = path.join(dir, 'stack.env');
    fs.writeFileSync(
      envFile,
      Object.entries(mesh.env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    const cli = (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const io = {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t), isTTY: false },
        env: { AIMASS_STACK_ENV: envFile },
      };
      const code = runCli(args, io as never);
      return { code, out, err };
    };
    const submitter = cli(['train', specFile, '--wait', '--job-id', JOB]);
    const firstStart = await eventually(
      `the job to start (cli: ${submitter.err.join('')})`,
      () => watch.of(JOB, 'trainer.job.started')[0],
      { timeoutMs: 60_000, context: logs },
    );
    const watcher = cli(['jobs', 'watch', JOB]);
    const firstNode = firstStart.data.node_id;
    // Progress for epoch 3 is published after the checkpoint of epoch 2 is stored (checkpoint_every 1).
    await eventually('epoch 3', () => watch.of(JOB, 'trainer.job.progress').find((e) => e.data.epoch === 3), {
      timeoutMs: 60_000,
      context: logs,
    });
    const victim = mesh.services.get('trainer')!;
    victim.child.signal('SIGKILL');
    await victim.child.exited;
    const doneBeforeKill = Math.max(...watch.of(JOB, 'trainer.job.progress').map((e) => e.data.epoch ?? 0));
    expect(doneBeforeKill).toBeLessThan(EPOCHS);
    // What the survivor will resume from, as stored: sealed (docs/encryption.md), not JSON or weights.
    const pointer = await storedObject(`trainer/checkpoints/${JOB}/latest.json`);
    expect(pointer.subarray(0, 8).toString('latin1')).toBe('\x89AIMENC\n');
    expect(pointer.includes(Buffer.from('"epoch"'))).toBe(false);

    await mesh.restartService('trainer');
    const succeeded = await eventually(
      'the job to succeed on the second trainer',
      () => watch.of(JOB, 'trainer.job.succeeded')[0],
      { timeoutMs: 90_000, context: logs },
    );

    const started = watch.of(JOB, 'trainer.job.started');
    expect(started).toHaveLength(2);
    const secondNode = started[1]!.data.node_id;
    expect(secondNode).not.toBe(firstNode);
    const resumedFrom = started[1]!.data.resumed_from_epoch as number;
    // The new node's log says what it picked up, from where, and how it ended. It logs the end after
    // it publishes the event, so the line may trail the event the test saw.
    const log = await eventually(
      'the success line in the log',
      () => {
        const tail = mesh.services.get('trainer')!.child.logTail(400);
        return tail.includes(`job ${JOB}: succeeded after`) ? tail : undefined;
      },
      { timeoutMs: 10_000, context: logs },
    );
    expect(log).toContain(`job ${JOB}: resumed vae from the checkpoint of epoch ${resumedFrom} of ${EPOCHS}`);
    expect(log).toContain(`job ${JOB}: succeeded after ${EPOCHS} epochs; registered survivor version 1`);
    expect(resumedFrom).toBeGreaterThanOrEqual(2);
    expect(resumedFrom).toBeLessThanOrEqual(doneBeforeKill);
    const afterKill = watch
      .of(JOB, 'trainer.job.progress')
      .filter((e) => e.data.node_id === secondNode)
      .map((e) => e.data.epoch);
    expect(afterKill).toEqual(Array.from({ length: EPOCHS - resumedFrom }, (_, i) => resumedFrom + 1 + i));
    expect(succeeded.data).toMatchObject({
      node_id: secondNode,
      model: 'survivor',
      version: 1,
      epochs_run: EPOCHS,
    });
    expect(watch.of(JOB, 'trainer.job.succeeded')).toHaveLength(1);

    // Both followers kept going across the kill, said where the job went, and ended with its result.
    for (const [who, run] of [
      ['train --wait', submitter],
      ['jobs watch', watcher],
    ] as const) {
      expect(await run.code, `${who}: ${run.err.join('')}`).toBe(0);
      expect(run.out.join('').trim().split('\n').at(-1), who).toBe('survivor 1');
      const progress = run.err.join('');
      expect(progress, who).toContain(`job ${JOB} resumed on ${secondNode} from epoch ${resumedFrom}`);
      expect(progress, who).toContain(`epoch ${EPOCHS}/${EPOCHS} loss`);
    }

    const registry = registryClient(mesh);
    for (const model of ['survivor', 'survivor-encoder', 'survivor-decoder']) {
      const list = await call<registryv1.ListVersionsRequest, registryv1.ListVersionsResponse__Output>(
        registry,
        'ListVersions',
        { model },
      );
      expect(list.versions.map((v) => v.version)).toEqual([1]);
    }
    registry.close();
  }, 180_000);
});
