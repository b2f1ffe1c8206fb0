import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status, type sendUnaryData, type ServerReadableStream } from '@grpc/grpc-js';
import type { registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test/grpc-test-server.js';
import { UPLOAD_CHUNK_BYTES, pushArtifact } from './artifact-upload.js';
import { InputFileError } from './errors.js';
import { isServiceError } from './error-report.js';

type PushCall = ServerReadableStream<registryv1.PushVersionRequest__Output, registryv1.ModelVersion>;

/** What the fake registry saw of one PushVersion call. */
interface ReceivedPush {
  header?: registryv1.PushVersionHeader__Output;
  parts: ('header' | 'chunk')[];
  chunkSizes: number[];
  bytes: number;
  sha256: string;
}

/**
 * A PushVersion that behaves like the registry's contract: header first, then chunks; the version
 * exists only if size and SHA-256 match the header. `hold` lets a test stop reading after the header
 * (as a slow registry would) and release it later; model "refused" is turned away at the header.
 */
function fakeRegistry() {
  const received: ReceivedPush[] = [];
  let release: (() => void) | undefined;
  let holding: Promise<void> | undefined;
  let nextVersion = 1;
  const handlers = {
    PushVersion(call: PushCall, callback: sendUnaryData<registryv1.ModelVersion>) {
      const push: ReceivedPush = { parts: [], chunkSizes: [], bytes: 0, sha256: '' };
      received.push(push);
      const hash = createHash('sha256');
      call.on('data', (msg: registryv1.PushVersionRequest__Output) => {
        push.parts.push(msg.part as 'header' | 'chunk');
        if (msg.part === 'header') {
          push.header = msg.header ?? undefined;
          if (push.header?.model === 'refused') {
            callback({ code: status.PERMISSION_DENIED, details: 'pushing to "refused" is not allowed' });
            return;
          }
          if (holding) {
            call.pause();
            void holding.then(() => call.resume());
          }
          return;
        }
        hash.update(msg.chunk as Buffer);
        push.chunkSizes.push((msg.chunk as Buffer).length);
        push.bytes += (msg.chunk as Buffer).length;
      });
      call.on('end', () => {
        push.sha256 = hash.digest('hex');
        const header = push.header;
        if (!header)
          return callback({ code: status.INVALID_ARGUMENT, details: 'the first message must be a header' });
        if (header.model === 'refused') return;
        if (String(push.bytes) !== header.size_bytes)
          return callback({
            code: status.INVALID_ARGUMENT,
            details: `size ${push.bytes} != header ${header.size_bytes}`,
          });
        if (push.sha256 !== header.sha256)
          return callback({ code: status.INVALID_ARGUMENT, details: 'sha256 mismatch' });
        callback(null, {
          model: header.model,
          version: nextVersion++,
          format: header.format,
          size_bytes: push.bytes,
          sha256: push.sha256,
          aliases: header.alias ? [header.alias] : [],
        });
      });
    },
  };
  return {
    handlers,
    received,
    holdAfterHeader() {
      holding = new Promise<void>((resolve) => (release = resolve));
    },
    release() {
      release?.();
      holding = undefined;
    },
  };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-cli-upload-'));
const registry = fakeRegistry();
let server: TestServer;
let client: registryv1.RegistryServiceClient;

beforeAll(async () => {
  server = await startTestServer('registry', registry.handlers);
  client = createMeshClient<registryv1.RegistryServiceClient>('registry', server.address);
});
afterEach(() => registry.release());
afterAll(async () => {
  client?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function modelFile(name: string, size: number): { file: string; sha256: string } {
  const data = randomBytes(size);
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data);
  return { file, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Polls until `read` is positive and has not changed for half a second. */
async function steadyValue(read: () => number): Promise<number> {
  let last = -1;
  let steadyPolls = 0;
  while (steadyPolls < 5) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = read();
    steadyPolls = now > 0 && now === last ? steadyPolls + 1 : 0;
    last = now;
  }
  return last;
}

describe('pushArtifact against a real gRPC PushVersion', () => {
  it('sends the header with size and SHA-256, then the file in ~4 MiB chunks', async () => {
    const { file, sha256 } = modelFile('small.onnx', 2 * UPLOAD_CHUNK_BYTES + 17);
    const phases: string[] = [];
    const version = await pushArtifact(client, {
      model: 'iris',
      file,
      format: 'onnx',
      alias: 'staging',
      description: 'd',
      onPhase: (p) => phases.push(p),
    });

    expect(version).toMatchObject({
      model: 'iris',
      sha256,
      size_bytes: String(2 * UPLOAD_CHUNK_BYTES + 17),
      aliases: ['staging'],
    });
    const push = registry.received.at(-1)!;
    expect(push.header).toMatchObject({
      model: 'iris',
      format: 'onnx',
      size_bytes: String(2 * UPLOAD_CHUNK_BYTES + 17),
      sha256,
      alias: 'staging',
      description: 'd',
    });
    expect(push.parts).toEqual(['header', 'chunk', 'chunk', 'chunk']);
    expect(push.chunkSizes).toEqual([UPLOAD_CHUNK_BYTES, UPLOAD_CHUNK_BYTES, 17]);
    expect(phases).toEqual(['hash', 'upload']);
  });

  it('pushes an empty file as a header alone', async () => {
    const { file, sha256 } = modelFile('empty.onnx', 0);
    const version = await pushArtifact(client, { model: 'empty', file, format: 'onnx' });
    expect(version.sha256).toBe(sha256);
    expect(registry.received.at(-1)!.parts).toEqual(['header']);
  });

  it('stops handing chunks to gRPC while the registry is not reading, then finishes intact', async () => {
    // Larger than everything that may buffer while the registry holds the stream: 16 messages in
    // the client's writable, 16 in the server's readable, a 16 MiB HTTP/2 window and the loopback
    // socket buffers (up to ~36 MiB here) make about 45 chunks. At 40 chunks the file could fit.
    const size = 64 * UPLOAD_CHUNK_BYTES + 5;
    const { file, sha256 } = modelFile('large.onnx', size);
    registry.holdAfterHeader();
    let accepted = 0;
    const pushing = pushArtifact(client, {
      model: 'large',
      file,
      format: 'onnx',
      onProgress: (done) => (accepted = done),
    });

    // While the registry holds the stream, the client may only get as far as the gRPC and HTTP/2
    // buffers allow; without waiting on 'drain' it would hand over the whole file at once.
    const acceptedWhileHeld = await steadyValue(() => accepted);
    expect(acceptedWhileHeld).toBeLessThan(size - 8 * UPLOAD_CHUNK_BYTES);

    registry.release();
    const version = await pushing;
    expect(version.sha256).toBe(sha256);
    expect(registry.received.at(-1)).toMatchObject({ bytes: size, sha256 });
  });

  it('returns the registry refusal promptly even while blocked on a full stream', async () => {
    const { file } = modelFile('refused.onnx', 64 * 1024 * 1024);
    const started = Date.now();
    const error = await pushArtifact(client, { model: 'refused', file, format: 'onnx' }).catch(
      (err: unknown) => err,
    );
    expect(isServiceError(error) && error.code).toBe(status.PERMISSION_DENIED);
    expect((error as Error & { details: string }).details).toBe('pushing to "refused" is not allowed');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails on a missing file before opening a call', async () => {
    const calls = registry.received.length;
    await expect(
      pushArtifact(client, { model: 'm', file: path.join(tmp, 'absent.onnx'), format: 'onnx' }),
    ).rejects.toThrow(InputFileError);
    await expect(
      pushArtifact(client, { model: 'm', file: path.join(tmp, 'absent.onnx'), format: 'onnx' }),
    ).rejects.toThrow(/absent.onnx: no such file/);
    await expect(pushArtifact(client, { model: 'm', file: tmp, format: 'onnx' })).rejects.toThrow(
      /is not a regular file/,
    );
    expect(registry.received.length).toBe(calls);
  });
});
