import type { registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import {
  makeScratchDir,
  startMesh,
  type Mesh,
  type NatsServer,
  type S3Server,
  type ServiceProcess,
} from '@aimass/testing';
import type { ServiceError } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';

/** A real nats-server, a real S3 endpoint and a real registry process, plus a gRPC client on it. */
export interface RegistryUnderTest {
  readonly nats: NatsServer;
  readonly s3: S3Server;
  readonly registry: ServiceProcess;
  readonly client: registryv1.RegistryServiceClient;
  stop(): Promise<void>;
}

export async function startRegistry(env: Record<string, string> = {}): Promise<RegistryUnderTest> {
  const mesh = await startMesh({
    stateDir: makeScratchDir('registry-e2e'),
    services: ['registry'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', ...env },
  });
  const client = createMeshClient<registryv1.RegistryServiceClient>(
    'registry',
    mesh.env.AIMASS_REGISTRY_GRPC!,
  );
  return {
    nats: mesh.nats,
    s3: mesh.s3,
    registry: mesh.services.get('registry')!,
    client,
    async stop() {
      client.close();
      await mesh.stop();
    },
  };
}

/** Runs `use` with a fresh registry client on `mesh` (a new connection, as after a restart), closing it after. */
export async function withRegistryClient<T>(
  mesh: Mesh,
  use: (client: registryv1.RegistryServiceClient) => Promise<T>,
): Promise<T> {
  const client = createMeshClient<registryv1.RegistryServiceClient>(
    'registry',
    mesh.env.AIMASS_REGISTRY_GRPC!,
  );
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

export function unary<T>(invoke: (cb: (err: ServiceError | null, res?: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    invoke((err, res) =>
      err ? reject(err) : res === undefined ? reject(new Error('no response')) : resolve(res),
    );
  });
}

/** The error a call failed with (or a failure when it succeeded). */
export async function failure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/**
 * Pushes `chunks` as a client stream; stops sending once the registry has answered (a refusal), and
 * waits for 'drain' so a large artifact streams with back-pressure. `between` runs after each chunk.
 */
export function push(
  client: registryv1.RegistryServiceClient,
  header: registryv1.PushVersionHeader,
  chunks: Iterable<Uint8Array>,
  between?: (sentBytes: number) => Promise<void>,
): Promise<registryv1.ModelVersion__Output> {
  let answered = false;
  const response = new Promise<registryv1.ModelVersion__Output>((resolve, reject) => {
    const call = client.PushVersion((err, res) => {
      answered = true;
      if (err) reject(err);
      else resolve(res!);
    });
    void (async () => {
      call.write({ header });
      let sent = 0;
      for (const chunk of chunks) {
        if (answered) return;
        sent += chunk.length;
        if (!call.write({ chunk })) await drainedOrAnswered(call, () => answered);
        await between?.(sent);
      }
      if (!answered) call.end();
    })().catch(reject);
  });
  return response;
}

function drainedOrAnswered(call: NodeJS.EventEmitter, isAnswered: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearInterval(poll);
      call.off('drain', done);
      resolve();
    };
    const poll = setInterval(() => isAnswered() && done(), 50);
    call.once('drain', done);
  });
}

export function* pieces(bytes: Uint8Array, size = 256 * 1024): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

export async function download(
  client: registryv1.RegistryServiceClient,
  model: string,
  version: string,
  offset = 0,
): Promise<{ version?: registryv1.ModelVersion__Output; bytes: Buffer }> {
  const call = client.DownloadVersion({ model, version, offset });
  const chunks: Buffer[] = [];
  let first: registryv1.ModelVersion__Output | undefined;
  for await (const message of call as AsyncIterable<registryv1.DownloadVersionChunk__Output>) {
    if (message.version) first = message.version;
    chunks.push(message.chunk);
  }
  return { version: first, bytes: Buffer.concat(chunks) };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
