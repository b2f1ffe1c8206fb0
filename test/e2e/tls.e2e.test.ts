import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { registryv1 } from '@aimass/contracts';
import { channelCredentials, createMeshClient } from '@aimass/grpc/client';
import { connectNats } from '@aimass/nats';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { localTls, makeScratchDir, startMesh, startService, type Mesh } from '@aimass/testing';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// TLS on (scripts/stack up --tls): a development CA, every service's gRPC server presenting its
// certificate, nats-server serving TLS only. The mesh works through it (a push and predictions
// from a client that trusts the CA; a training job from the CLI, whose trainer registers the model
// with the registry over TLS and whose progress the CLI follows on NATS over TLS), and whatever does
// not verify is refused: plaintext gRPC and NATS clients, a client that trusts another CA, and a
// service started without its certificate.

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
let mesh: Mesh;
let dir: string;

function push(client: registryv1.RegistryServiceClient, model: string, bytes: Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = client.PushVersion((err: ServiceError | null) => (err ? reject(err) : resolve()));
    stream.write({ header: { model, format: 'onnx', alias: '', tags: {} } });
    stream.write({ chunk: bytes });
    stream.end();
  });
}

function listModels(
  client: registryv1.RegistryServiceClient,
): Promise<registryv1.ListModelsResponse__Output> {
  return new Promise((resolve, reject) =>
    client.ListModels({}, { deadline: Date.now() + 5_000 }, (err, res) =>
      err || !res ? reject(err ?? new Error('no reply')) : resolve(res),
    ),
  );
}

beforeAll(async () => {
  dir = makeScratchDir('tls-e2e');
  mesh = await startMesh({
    stateDir: dir,
    tls: true,
    natsAuth: true,
    services: ['registry', 'trainer', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
}, 180_000);

afterAll(async () => {
  await mesh?.stop();
});

describe('TLS on gRPC and NATS', () => {
  it('every gRPC server presents the mesh certificate, valid for 127.0.0.1 under the CA', async () => {
    const [host, port] = mesh.env.AIMASS_REGISTRY_GRPC!.split(':');
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const socket = tls.connect(
        { host, port: Number(port), ca: fs.readFileSync(mesh.env.AIMASS_TLS_CA!), ALPNProtocols: ['h2'] },
        () => {
          expect(socket.authorized).toBe(true);
          resolve(socket.getPeerCertificate());
          socket.end();
        },
      );
      socket.once('error', reject);
    });
    expect(peer.subject.CN).toBe('aimass mesh');
    expect(peer.subjectaltname).toContain('IP Address:127.0.0.1');
  });

  it('serves a push and predictions to a client that trusts the CA', async () => {
    const channel = channelCredentials({ ca: mesh.env.AIMASS_TLS_CA! });
    const registry = createMeshClient<registryv1.RegistryServiceClient>(
      'registry',
      mesh.env.AIMASS_REGISTRY_GRPC!,
      {},
      undefined,
      channel,
    );
    const bytes = exportDenseNetwork(
      randomDenseNetwork({ inputDim: 3, hidden: [4], outputDim: 2, seed: 2, activation: 'relu' }),
    );
    await push(registry, 'tls-dense', bytes);
    registry.close();
    // The README's plain OIP client, told to trust the CA
    const { stdout } = await run(
      'node',
      ['docs/examples/oip-infer.mjs', mesh.env.AIMASS_INFERENCE_GRPC!, 'tls-dense', '[[0.1, 0.2, 0.3]]'],
      { cwd: ROOT, env: { ...process.env, AIMASS_TLS_CA: mesh.env.AIMASS_TLS_CA! } },
    );
    const printed = JSON.parse(stdout) as { version: string; outputs: { shape: number[] }[] };
    expect(printed.version).toBe('1');
    expect(printed.outputs[0]!.shape).toEqual([1, 2]);
  }, 60_000);

  it('trains from the CLI: gRPC to the trainer, the trainer to the registry, progress over NATS, all TLS', async () => {
    const spec = path.join(dir, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({
        family: 'gmm',
        dataset: { builtin: 'gaussian_blobs', rows: 300, features: 3 },
        epochs: 20,
        model_name: 'tls-gmm',
      }),
    );
    const { stdout } = await run('node', ['cli/dist/main.js', 'train', spec, '--wait'], {
      cwd: ROOT,
      env: { ...process.env, ...mesh.env },
      timeout: 120_000,
    });
    expect(stdout.trim().split('\n').at(-1)).toBe('tls-gmm 1');
  }, 150_000);

  it('refuses a plaintext gRPC client', async () => {
    const plain = createMeshClient<registryv1.RegistryServiceClient>(
      'registry',
      mesh.env.AIMASS_REGISTRY_GRPC!,
    );
    await expect(listModels(plain)).rejects.toMatchObject({ code: grpcStatus.UNAVAILABLE });
    plain.close();
  });

  it('refuses a server whose certificate another CA signed', async () => {
    const other = await localTls(path.join(dir, 'other-ca'));
    const wrong = createMeshClient<registryv1.RegistryServiceClient>(
      'registry',
      mesh.env.AIMASS_REGISTRY_GRPC!,
      {},
      undefined,
      channelCredentials({ ca: other.ca }),
    );
    await expect(listModels(wrong)).rejects.toMatchObject({ code: grpcStatus.UNAVAILABLE });
    wrong.close();
  });

  it('refuses a plaintext NATS client, and takes one that trusts the CA', async () => {
    await expect(
      connect({ servers: mesh.env.AIMASS_NATS_URL!, reconnect: false, timeout: 2_000, tls: null }),
    ).rejects.toThrow();
    const nc = await connectNats(mesh.env.AIMASS_NATS_URL!, 'tls-test', {
      credentials: mesh.natsAccounts!.credentials('operator'),
      tlsCa: mesh.env.AIMASS_TLS_CA!,
    });
    expect(nc.info?.tls_required).toBe(true);
    await nc.close();
  });

  it('a service with AIMASS_TLS_CA but no certificate says so and exits', async () => {
    const { AIMASS_TLS_CERT: _c, AIMASS_TLS_KEY: _k, ...env } = mesh.env;
    await expect(
      startService(
        'tuner',
        { ...env, AIMASS_NATS_CREDENTIALS: mesh.natsAccounts!.credentials('tuner') },
        { logDir: path.join(dir, 'no-cert'), readyTimeoutMs: 30_000 },
      ),
    ).rejects.toThrow(/AIMASS_TLS_CA is set, so this service needs AIMASS_TLS_CERT and AIMASS_TLS_KEY/);
  }, 60_000);
});
