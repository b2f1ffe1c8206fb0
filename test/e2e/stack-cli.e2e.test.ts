import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { processAlive, readEnvFile } from '@aimass/testing';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status as grpcStatus,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** What a person types: scripts/stack up, pnpm aimass models push, a generic OIP client, scripts/stack down. */
describe('the mesh from a shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aimass-stack-'));
  const stateDir = join(dir, 'state');
  afterAll(async () => {
    await run('bash', ['scripts/stack', 'down', '--state-dir', stateDir], { cwd: ROOT }).catch(
      () => undefined,
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts detached, takes a push from the CLI, serves a generic OIP v2 client and stops without leftovers', async () => {
    const up = await run('bash', ['scripts/stack', 'up', '--state-dir', stateDir, '--free-ports'], {
      cwd: ROOT,
      timeout: 150_000,
    });
    expect(up.stdout).toContain('AIMASS_INFERENCE_GRPC=');
    const env = readEnvFile(join(stateDir, 'stack.env')) ?? {};
    for (const key of [
      'AIMASS_NATS_URL',
      'AIMASS_S3_ENDPOINT',
      'AIMASS_REGISTRY_GRPC',
      'AIMASS_TRAINER_GRPC',
      'AIMASS_TUNER_GRPC',
      'AIMASS_INFERENCE_GRPC',
      'AIMASS_MONITOR_GRPC',
      'AIMASS_MONITOR_HTTP',
      'AIMASS_INFERENCE_METRICS_HTTP',
    ]) {
      expect(env[key], key).toBeTruthy();
    }

    const bytes = exportDenseNetwork(
      randomDenseNetwork({ inputDim: 5, hidden: [7], outputDim: 2, seed: 11, activation: 'tanh' }),
    );
    const file = join(dir, 'm.onnx');
    writeFileSync(file, bytes);
    const cliEnv = { ...process.env, AIMASS_STACK_ENV: join(stateDir, 'stack.env') };
    const push = await run(
      'pnpm',
      ['--silent', 'aimass', 'models', 'push', 'm', file, '--alias', 'production'],
      { cwd: ROOT, env: cliEnv },
    );
    expect(push.stdout.trim()).toBe('1');
    const again = await run('pnpm', ['--silent', 'aimass', 'models', 'push', 'm', file], {
      cwd: ROOT,
      env: cliEnv,
    });
    expect(again.stdout.trim()).toBe('2');

    const def = loadSync(join(ROOT, 'protos/inference/grpc_service.proto'), {
      longs: String,
      defaults: true,
    });
    const { inference } = loadPackageDefinition(def) as unknown as {
      inference: {
        GRPCInferenceService: new (
          a: string,
          c: unknown,
        ) => Client & Record<string, (...a: unknown[]) => void>;
      };
    };
    const client = new inference.GRPCInferenceService(
      env.AIMASS_INFERENCE_GRPC!,
      credentials.createInsecure(),
    );
    const x = Float32Array.from([0.1, -0.2, 0.3, 1.5, -2]);
    // Authentication is on by default: the client presents a token the CLI minted with the stack's key.
    const token = (
      await run('pnpm', ['--silent', 'aimass', 'auth', 'token', '--subject', 'e2e', '--scope', 'infer:m'], {
        cwd: ROOT,
        env: cliEnv,
      })
    ).stdout.trim();
    const infer = (metadata: Metadata) =>
      new Promise<{ modelVersion: string; rawOutputContents: Buffer[] }>((resolve, reject) =>
        client.ModelInfer!(
          {
            modelName: 'm',
            inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5] }],
            rawInputContents: [Buffer.from(x.buffer)],
          },
          metadata,
          (err: ServiceError | null, r: { modelVersion: string; rawOutputContents: Buffer[] }) =>
            err ? reject(err) : resolve(r),
        ),
      );
    await expect(infer(new Metadata())).rejects.toMatchObject({ code: grpcStatus.UNAUTHENTICATED });
    const withToken = new Metadata();
    withToken.set('authorization', `Bearer ${token}`);
    const res = await infer(withToken);
    client.close();
    expect(res.modelVersion).toBe('1'); // the production alias, not the latest
    const direct = await (
      await ort.InferenceSession.create(bytes)
    ).run({ input: new ort.Tensor('float32', x, [1, 5]) });
    const raw = res.rawOutputContents[0]!;
    expect(
      Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))),
    ).toEqual(Array.from(direct.output!.data as Float32Array));

    // The README's plain OIP client example gives the same numbers.
    const example = await run(
      'node',
      ['docs/examples/oip-infer.mjs', env.AIMASS_INFERENCE_GRPC!, 'm', JSON.stringify([Array.from(x)])],
      { cwd: ROOT, env: { ...process.env, AIMASS_AUTH_TOKEN: token } },
    );
    const printed = JSON.parse(example.stdout) as { version: string; outputs: { data: number[] }[] };
    expect(printed.version).toBe('1');
    expect(printed.outputs[0]!.data).toEqual(Array.from(direct.output!.data as Float32Array));

    // One more trainer node joins the running stack; status lists both nodes with pool and backend.
    const added = await run('bash', ['scripts/stack', 'add', 'trainer', '--state-dir', stateDir], {
      cwd: ROOT,
      timeout: 120_000,
    });
    const address = added.stdout.trim();
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const status = await run('bash', ['scripts/stack', 'status', '--state-dir', stateDir], { cwd: ROOT });
    const nodes = status.stdout.slice(status.stdout.indexOf('TRAINER NODE')).trim().split('\n').slice(1);
    expect(nodes).toHaveLength(2);
    expect(nodes[0]).toMatch(
      new RegExp(`\\s${env.AIMASS_TRAINER_GRPC!.replace(/\./g, '\\.')}\\s+cpu\\s+wasm\\s+0/\\d+$`),
    );
    expect(nodes[1]).toMatch(new RegExp(`\\s${address.replace(/\./g, '\\.')}\\s+cpu\\s+wasm\\s+0/\\d+$`));

    const pids = readFileSync(join(stateDir, 'stack.pids'), 'utf8')
      .split('\n')
      .map((l) => Number(l.split(/\s+/)[0]))
      .filter((p) => p > 0);
    expect(pids.length).toBeGreaterThanOrEqual(9);
    await run('bash', ['scripts/stack', 'down', '--state-dir', stateDir], { cwd: ROOT, timeout: 60_000 });
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
  }, 240_000);
});
