import { createMeshClient } from '@aimass/grpc/client';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { eventually, makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Client as MinioClient } from 'minio';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from './otlp-receiver.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * A client any OIP v2 user could write: the official proto loaded with proto-loader's defaults
 * (camelCase fields, Long-free numbers as strings), no aimass code involved.
 */
function genericOipClient(address: string): Client & Record<string, (...args: unknown[]) => unknown> {
  const def = loadSync(join(ROOT, 'protos/inference/grpc_service.proto'), { longs: String, defaults: true });
  const pkg = loadPackageDefinition(def) as unknown as {
    inference: { GRPCInferenceService: new (a: string, c: unknown) => Client };
  };
  return new pkg.inference.GRPCInferenceService(address, credentials.createInsecure()) as never;
}

function unary<T>(
  client: Record<string, (...args: unknown[]) => unknown>,
  method: string,
  req: unknown,
  md = new Metadata(),
): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, md, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

function pushModel(
  registry: Record<string, (...args: unknown[]) => unknown>,
  model: string,
  bytes: Uint8Array,
  alias = '',
): Promise<{ version: number; artifact_key: string }> {
  return new Promise((resolve, reject) => {
    const call = registry.PushVersion!(
      (err: ServiceError | null, res: { version: number; artifact_key: string }) =>
        err ? reject(err) : resolve(res),
    ) as {
      write(m: unknown): void;
      end(): void;
    };
    call.write({ header: { model, format: 'onnx', alias } });
    for (let i = 0; i < bytes.length; i += 256) call.write({ chunk: bytes.subarray(i, i + 256) });
    call.end();
  });
}

describe('one model through every real component', () => {
  let mesh: Mesh;
  let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const spec = randomDenseNetwork({
    inputDim: 8,
    hidden: [16],
    outputDim: 3,
    seed: 42,
    activation: 'tanh',
    outputActivation: 'sigmoid',
  });
  const modelBytes = exportDenseNetwork(spec);
  let registry: Record<string, (...args: unknown[]) => unknown>;
  let oip: Record<string, (...args: unknown[]) => unknown>;

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    mesh = await startMesh({
      stateDir: makeScratchDir('e2e'),
      otlpEndpoint: otlp.url,
      extraEnv: { AIMASS_INFERENCE_SUMMARY_INTERVAL_MS: '200', AIMASS_LOG_LEVEL: 'warn' },
    });
    registry = createMeshClient('registry', mesh.env.AIMASS_REGISTRY_GRPC!);
    oip = genericOipClient(mesh.env.AIMASS_INFERENCE_GRPC!);
  });

  afterAll(async () => {
    await mesh?.stop();
    await otlp?.close();
  });

  it('serves a pushed ONNX model exactly as onnxruntime runs it, traced and counted', async () => {
    const pushed = await pushModel(registry, 'e2e-dense', modelBytes, 'production');
    expect(pushed.version).toBe(1);

    const input = Float32Array.from({ length: 2 * 8 }, (_, i) => Math.sin(i) * 2);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const md = new Metadata();
    md.set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`);
    const res = await unary<{
      modelName: string;
      modelVersion: string;
      outputs: { name: string; datatype: string; shape: string[] }[];
      rawOutputContents: Buffer[];
    }>(
      oip,
      'ModelInfer',
      {
        modelName: 'e2e-dense',
        modelVersion: '',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 8] }],
        rawInputContents: [Buffer.from(input.buffer)],
      },
      md,
    );
    expect(res.modelVersion).toBe('1');
    expect(res.outputs[0]).toMatchObject({ name: 'output', datatype: 'FP32', shape: ['2', '3'] });

    const session = await ort.InferenceSession.create(modelBytes);
    const direct = await session.run({ input: new ort.Tensor('float32', input, [2, 8]) });
    const raw = res.rawOutputContents[0]!;
    const served = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(served)).toEqual(Array.from(direct.output!.data as Float32Array));

    // Typed contents give the same answer.
    const typed = await unary<{ rawOutputContents: Buffer[] }>(oip, 'ModelInfer', {
      modelName: 'e2e-dense',
      modelVersion: '1',
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [2, 8], contents: { fp32Contents: Array.from(input) } },
      ],
    });
    expect(Buffer.compare(typed.rawOutputContents[0]!, raw)).toBe(0);

    const span = await eventually('the prediction span', async () =>
      otlp.spans.find((s) => s.traceId === traceId && s.name === 'ModelInfer'),
    );
    expect(span.service).toBe('aimass-inference');
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.attributes).toMatchObject({ 'aimass.model': 'e2e-dense', 'aimass.model_version': '1' });

    const count = await eventually('the monitor to count the predictions', async () => {
      const body = (await (await fetch(`${mesh.env.AIMASS_MONITOR_HTTP}/api/models`)).json()) as unknown;
      const requests = requestsOf(body, 'e2e-dense');
      return requests >= 2 ? requests : undefined;
    });
    expect(count).toBeGreaterThanOrEqual(2);
  });

  it('every service answers grpc.health.v1 and lists its service over gRPC reflection', async () => {
    const healthDef = loadSync(join(ROOT, 'protos/grpc/health/v1/health.proto'), { enums: String });
    const { grpc: healthPkg } = loadPackageDefinition(healthDef) as unknown as {
      grpc: {
        health: {
          v1: { Health: new (a: string, c: unknown) => Client & Record<string, (...a: unknown[]) => void> };
        };
      };
    };
    const reflectionDir = dirname(
      createRequire(join(ROOT, 'libs/grpc/package.json')).resolve('@grpc/reflection/package.json'),
    );
    const reflectionDef = loadSync(
      join(reflectionDir, 'build/proto/grpc/reflection/v1alpha/reflection.proto'),
    );
    const { grpc: reflectionPkg } = loadPackageDefinition(reflectionDef) as unknown as {
      grpc: {
        reflection: {
          v1alpha: {
            ServerReflection: new (
              a: string,
              c: unknown,
            ) => Client & Record<string, (...a: unknown[]) => unknown>;
          };
        };
      };
    };
    const expected = {
      registry: 'aimass.registry.v1.RegistryService',
      trainer: 'aimass.trainer.v1.TrainerService',
      tuner: 'aimass.tuner.v1.TunerService',
      inference: 'inference.GRPCInferenceService',
      monitor: 'aimass.monitor.v1.MonitorService',
    };
    for (const [service, fullName] of Object.entries(expected)) {
      const address = mesh.env[`AIMASS_${service.toUpperCase()}_GRPC`]!;
      const health = new healthPkg.health.v1.Health(address, credentials.createInsecure());
      for (const name of ['', fullName]) {
        const res = await new Promise<{ status: string }>((resolve, reject) =>
          health.Check!({ service: name }, (e: ServiceError | null, r: { status: string }) =>
            e ? reject(e) : resolve(r),
          ),
        );
        expect(res.status, `${service} health "${name}"`).toBe('SERVING');
      }
      health.close();
      const reflection = new reflectionPkg.reflection.v1alpha.ServerReflection(
        address,
        credentials.createInsecure(),
      );
      const call = reflection.ServerReflectionInfo!() as unknown as {
        write(m: unknown): void;
        end(): void;
        on(e: string, f: (d: unknown) => void): void;
      };
      const listed = await new Promise<string[]>((resolve, reject) => {
        call.on('data', (d) =>
          resolve(
            (
              (d as { listServicesResponse?: { service: { name: string }[] } }).listServicesResponse
                ?.service ?? []
            ).map((s) => s.name),
          ),
        );
        call.on('error', reject);
        call.write({ listServices: '' });
      });
      call.end();
      reflection.close();
      expect(listed, service).toEqual(expect.arrayContaining([fullName, 'grpc.health.v1.Health']));
    }
  });

  describe('bad input gets the right status and the server stays up', () => {
    const x = (n: number) => Buffer.alloc(n);
    it.each([
      ['an unknown model', { modelName: 'no-such-model', inputs: [] }, status.NOT_FOUND, 'does not exist'],
      [
        'an unknown version',
        { modelName: 'e2e-dense', modelVersion: '9', inputs: [] },
        status.NOT_FOUND,
        'no version 9',
      ],
      [
        'an unknown alias',
        { modelName: 'e2e-dense', modelVersion: 'staging', inputs: [] },
        status.NOT_FOUND,
        'no alias "staging"',
      ],
      [
        'a wrong input name',
        {
          modelName: 'e2e-dense',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 8] }],
          rawInputContents: [x(32)],
        },
        status.INVALID_ARGUMENT,
        'unknown input "x"',
      ],
      [
        'a wrong datatype',
        {
          modelName: 'e2e-dense',
          inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 8] }],
          rawInputContents: [x(64)],
        },
        status.INVALID_ARGUMENT,
        'input "input": datatype FP64',
      ],
      [
        'a wrong shape',
        {
          modelName: 'e2e-dense',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 7] }],
          rawInputContents: [x(28)],
        },
        status.INVALID_ARGUMENT,
        'input "input": shape [1, 7]',
      ],
      [
        'a wrong raw byte length',
        {
          modelName: 'e2e-dense',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 8] }],
          rawInputContents: [x(31)],
        },
        status.INVALID_ARGUMENT,
        'input "input": raw content has 31 bytes',
      ],
      ['a missing input', { modelName: 'e2e-dense', inputs: [] }, status.INVALID_ARGUMENT, 'no inputs'],
      [
        'an unknown datatype',
        {
          modelName: 'e2e-dense',
          inputs: [{ name: 'input', datatype: 'FLOAT', shape: [1, 8] }],
          rawInputContents: [x(32)],
        },
        status.INVALID_ARGUMENT,
        'not an OIP v2 datatype',
      ],
      [
        'an unknown output',
        {
          modelName: 'e2e-dense',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 8] }],
          outputs: [{ name: 'y' }],
          rawInputContents: [x(32)],
        },
        status.INVALID_ARGUMENT,
        'unknown requested output "y"',
      ],
      ['an empty model name', { modelName: '', inputs: [] }, status.INVALID_ARGUMENT, 'model_name is empty'],
    ])('%s', async (_what, req, code, message) => {
      const err = (await unary(oip, 'ModelInfer', req).catch((e: ServiceError) => e)) as ServiceError;
      expect(err.code).toBe(code);
      expect(err.details).toContain(message);
      const live = await unary<{ live: boolean }>(oip, 'ServerLive', {});
      expect(live.live).toBe(true);
    });
  });

  it('refuses, and never serves, a version whose artifact does not match its digest', async () => {
    const other = exportDenseNetwork(
      randomDenseNetwork({ inputDim: 8, hidden: [4], outputDim: 3, seed: 7, activation: 'relu' }),
    );
    const pushed = await pushModel(registry, 'e2e-dense', other);
    const s3 = new URL(mesh.env.AIMASS_S3_ENDPOINT!);
    const minio = new MinioClient({
      endPoint: s3.hostname,
      port: Number(s3.port),
      useSSL: false,
      accessKey: 'S3RVER',
      secretKey: 'S3RVER',
      pathStyle: true,
    });
    const tampered = Buffer.from(other);
    tampered[tampered.length - 5] ^= 0xff;
    await minio.putObject('aimass-artifacts', pushed.artifact_key, tampered, tampered.length);

    const req = {
      modelName: 'e2e-dense',
      modelVersion: String(pushed.version),
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 8] }],
      rawInputContents: [Buffer.alloc(32)],
    };
    for (let i = 0; i < 2; i++) {
      const err = (await unary(oip, 'ModelInfer', req).catch((e: ServiceError) => e)) as ServiceError;
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(err.details).toContain('is refused');
    }
    const ready = await unary<{ ready: boolean }>(oip, 'ModelReady', {
      name: 'e2e-dense',
      version: String(pushed.version),
    });
    expect(ready.ready).toBe(false);
    // The production alias still serves version 1.
    const ok = await unary<{ modelVersion: string }>(oip, 'ModelInfer', { ...req, modelVersion: '' });
    expect(ok.modelVersion).toBe('1');
  });
});

function requestsOf(body: unknown, model: string): number {
  const rows = Array.isArray(body)
    ? body
    : ((body as { models?: unknown[]; stats?: unknown[] }).models ??
      (body as { stats?: unknown[] }).stats ??
      []);
  return (rows as { model: string; requests: number | string }[])
    .filter((r) => r.model === model)
    .reduce((n, r) => n + Number(r.requests), 0);
}
