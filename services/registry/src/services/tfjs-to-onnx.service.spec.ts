import { FailedPreconditionError } from '@aimass/errors';
import { readOnnxSignature } from '@aimass/onnx';
import { strictMock } from '@aimass/testing/strict-mock';
import { tfjsTar } from '@aimass/testing/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EMPTY_LINEAGE, type VersionView } from '../records/records.js';
import { ArtifactRepository } from '../repositories/artifact.repository.js';
import { OnnxRuntimeRepository } from '../repositories/onnx-runtime.repository.js';
import { TfjsRuntimeRepository } from '../repositories/tfjs-runtime.repository.js';
import type { PushPart } from './registry.service.js';
import { RegistryService } from './registry.service.js';
import { TfjsToOnnxService } from './tfjs-to-onnx.service.js';

// The registry's own repositories of onnxruntime and tfjs run for real; KV and S3 are mocked.

let tar: Buffer;

const source = (format: VersionView['format']): VersionView => ({
  model: 'digits',
  version: 1,
  state: 'READY',
  format,
  size_bytes: 1234,
  sha256: 'a'.repeat(64),
  artifact_key: 'models/digits/1',
  signature: { inputs: [], outputs: [] },
  created_at: 't',
  tags: { team: 'vision' },
  lineage: { ...EMPTY_LINEAGE, dataset_digest: 'd'.repeat(64) },
  aliases: [],
});

async function drain(parts: AsyncIterable<PushPart>): Promise<{ header: unknown; bytes: Buffer }> {
  let header: unknown;
  const chunks: Buffer[] = [];
  for await (const part of parts) {
    if (part.header) header = part.header;
    if (part.chunk) chunks.push(Buffer.from(part.chunk));
  }
  return { header, bytes: Buffer.concat(chunks) };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [5], units: 4, activation: 'elu', name: 'hidden' }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'probs' }),
    ],
  });
  tar = await tfjsTar(model, 2);
});

describe('TfjsToOnnxService.convert', () => {
  it('pushes the ONNX form with lineage to the source and the measured difference', async () => {
    let pushed: { header: unknown; bytes: Buffer } | undefined;
    const registry = strictMock<RegistryService>({
      pushVersion: vi.fn(async (parts: AsyncIterable<PushPart>) => {
        pushed = await drain(parts);
        return { ...source('onnx'), version: 2 };
      }),
    });
    const artifacts = strictMock<ArtifactRepository>({ getBuffer: vi.fn().mockResolvedValue(tar) });
    const service = new TfjsToOnnxService(
      registry,
      artifacts,
      new OnnxRuntimeRepository(),
      new TfjsRuntimeRepository(),
    );

    const report = await service.convert(source('tfjs'), 'version 1 of "digits"', 'alice');

    expect(artifacts.getBuffer).toHaveBeenCalledWith('models/digits/1');
    expect(registry.pushVersion).toHaveBeenCalledWith(expect.anything(), 'alice');
    expect(pushed!.header).toMatchObject({
      model: 'digits',
      format: 'onnx',
      size_bytes: pushed!.bytes.length,
      tags: { team: 'vision' },
      lineage: {
        parent_version: 1,
        converted_from: 'digits@1',
        conversion: 'onnx',
        dataset_digest: 'd'.repeat(64),
        metrics: { source_size_bytes: 1234 },
      },
    });
    expect(readOnnxSignature(pushed!.bytes)).toMatchObject({
      inputs: [{ name: 'hidden_input', datatype: 'FP32', shape: [-1, 5] }],
      outputs: [{ name: 'probs', datatype: 'FP32', shape: [-1, 2] }],
    });
    expect(report.version.version).toBe(2);
    expect(report.calibrationRows).toBe(16);
    expect(report.outputs.map((o) => o.name)).toEqual(['probs']);
    expect(report.worst.maxRelative).toBeLessThan(1e-5);
  });

  it('refuses, storing nothing, when the ONNX model answers differently from tfjs', async () => {
    const tfjsRuntime = new TfjsRuntimeRepository();
    const skewed = strictMock<TfjsRuntimeRepository>({
      predict: vi.fn(async (...args: Parameters<TfjsRuntimeRepository['predict']>) =>
        (await tfjsRuntime.predict(...args)).map((v, i) => (i === 3 ? v + 0.01 : v)),
      ),
    });
    const service = new TfjsToOnnxService(
      strictMock<RegistryService>({}),
      strictMock<ArtifactRepository>({ getBuffer: vi.fn().mockResolvedValue(tar) }),
      new OnnxRuntimeRepository(),
      skewed,
    );
    const refusal = service.convert(source('tfjs'), 'version 1 of "digits"', 'alice');
    await expect(refusal).rejects.toThrow(FailedPreconditionError);
    await expect(refusal).rejects.toThrow(
      /0\.0\d+ \(max relative\) away from tfjs's, over the 0\.0001 allowed/,
    );
  });

  it('refuses an ONNX source before reading its artifact', async () => {
    const service = new TfjsToOnnxService(
      strictMock<RegistryService>({}),
      strictMock<ArtifactRepository>({}),
      strictMock<OnnxRuntimeRepository>({}),
      strictMock<TfjsRuntimeRepository>({}),
    );
    await expect(service.convert(source('onnx'), 'version 1 of "digits"', 'alice')).rejects.toThrow(
      /is a onnx artifact; --to onnx converts tfjs layers versions/,
    );
  });
});
