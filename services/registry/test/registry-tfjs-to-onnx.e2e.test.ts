import type { registryv1 } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc/client';
import { exportIdentityModel } from '@aimass/onnx';
import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { tfjsTar } from '@aimass/testing/tfjs';
import { status } from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../../cli/test/capture-io.js';
import { runCli } from '../../../cli/src/program.js';
import {
  genericOipClient,
  unary as oipUnary,
  type InferResponse,
  type OipClient,
} from '../../inference/test/oip-client.js';
import { failure, pieces, push, unary } from './registry-harness.js';

// ConvertModelVersion --to onnx against a real registry and inference on nats-server and s3rver: a
// tfjs layers CNN pushed as a tar becomes an ONNX version, which inference serves over OIP v2 with
// the outputs tfjs predicts in this process; refusals leave the versions unchanged.

const IMAGE = [6, 6, 2];
let mesh: Mesh;
let registry: registryv1.RegistryServiceClient;
let oip: OipClient;
let cnn: tf.Sequential;
const tmp = makeScratchDir('registry-tfjs-to-onnx');

const convert = (request: registryv1.ConvertModelVersionRequest) =>
  unary<registryv1.ConvertModelVersionResponse__Output>((cb) => registry.ConvertModelVersion(request, cb));

async function versionCount(model: string): Promise<number> {
  const list = await unary<registryv1.ListVersionsResponse__Output>((cb) =>
    registry.ListVersions({ model, include_deleted: true }, cb),
  );
  return list.versions.length;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  cnn = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: IMAGE,
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        name: 'conv',
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
    ],
  });
  const recurrent = tf.sequential({
    layers: [tf.layers.simpleRNN({ inputShape: [3, 2], units: 2, name: 'memory' })],
  });
  mesh = await startMesh({
    stateDir: makeScratchDir('registry-tfjs-to-onnx-mesh'),
    services: ['registry', 'inference'],
    extraEnv: { AIMASS_LOG_LEVEL: 'warn' },
  });
  registry = createMeshClient(
    'registry',
    mesh.env.AIMASS_REGISTRY_GRPC!,
  ) as unknown as registryv1.RegistryServiceClient;
  oip = genericOipClient(mesh.env.AIMASS_INFERENCE_GRPC!);
  await push(registry, { model: 'cnn', format: 'tfjs' }, pieces(await tfjsTar(cnn, 2)));
  await push(registry, { model: 'recurrent', format: 'tfjs' }, pieces(await tfjsTar(recurrent, 1)));
  await push(
    registry,
    { model: 'already-onnx', format: 'onnx' },
    pieces(exportIdentityModel({ datatype: 'FP32', shape: [-1, 4] })),
  );
}, 60_000);
afterAll(async () => {
  oip?.close();
  (registry as unknown as { close(): void } | undefined)?.close();
  await mesh?.stop();
});

describe('aimass models convert --to onnx', () => {
  it('writes the ONNX form of a tfjs CNN as the next version, and inference serves what tfjs predicts', async () => {
    const io = captureIo({ AIMASS_STACK_ENV: path.join(tmp, 'no-stack.env') });
    const code = await runCli(
      ['--registry', mesh.env.AIMASS_REGISTRY_GRPC!, 'models', 'convert', 'cnn', '1', '--to', 'onnx'],
      io,
    );
    expect(io.err()).toMatch(/converted:\s+cnn@1 → version 2 \(onnx\)/);
    expect(io.err()).toMatch(/output probs:\s+max 0\.0\d+%/);
    expect({ code, out: io.out() }).toEqual({ code: 0, out: '2\n' });

    const version = await unary<registryv1.ModelVersion__Output>((cb) =>
      registry.GetVersion({ model: 'cnn', version: '2' }, cb),
    );
    expect(version).toMatchObject({
      format: 'onnx',
      lineage: { parent_version: 1, converted_from: 'cnn@1', conversion: 'onnx' },
    });
    expect(version.lineage!.metrics.max_relative_difference).toBeLessThan(1e-5);
    expect(version.signature!.inputs.map((t) => [t.name, t.datatype, t.shape.map(Number)])).toEqual([
      ['conv_input', 'FP32', [-1, ...IMAGE]],
    ]);

    const rows = 4;
    const x = Float32Array.from({ length: rows * 72 }, (_, i) => Math.sin(i * 0.37) * 2);
    const expected = tf.tidy(() => (cnn.predict(tf.tensor(x, [rows, ...IMAGE])) as tf.Tensor).dataSync());
    const res = await oipUnary<InferResponse>(oip, 'ModelInfer', {
      modelName: 'cnn',
      modelVersion: '2',
      inputs: [{ name: 'conv_input', datatype: 'FP32', shape: [rows, ...IMAGE] }],
      rawInputContents: [Buffer.from(x.buffer)],
    });
    expect(res.outputs.map((o) => [o.name, o.shape.map(String)])).toEqual([['probs', [String(rows), '3']]]);
    const raw = res.rawOutputContents[0]!;
    const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(got).toHaveLength(expected.length);
    got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-5));
  });
});

describe('ConvertModelVersion --to onnx refusals', () => {
  it.each([
    [
      'an ONNX version',
      { model: 'already-onnx', version: '1', to: 'onnx' },
      /version 1 of "already-onnx" is a onnx artifact; --to onnx converts tfjs layers versions/,
    ],
    [
      'a layer with no ONNX conversion, named with its class',
      { model: 'recurrent', version: '1', to: 'onnx' },
      /cannot become ONNX: layer "memory" \(SimpleRNN\) has no ONNX conversion/,
    ],
    [
      'compressing a tfjs version',
      { model: 'cnn', version: '1', to: 'fp16' },
      /in format tfjs; only ONNX versions can be compressed \(convert a tfjs layers version with --to onnx first\)/,
    ],
  ] as const)('refuses %s with FAILED_PRECONDITION, writing nothing', async (_, request, message) => {
    const before = await versionCount(request.model);
    const error = await failure(convert(request));
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toMatch(message);
    expect(await versionCount(request.model)).toBe(before);
  });
});
