import { onnx } from '@aimass/tensors';
import { describe, expect, it } from 'vitest';
import { exportDenseNetwork } from './dense/dense-network.js';
import { OnnxSignatureError } from './onnx-errors.js';
import { readOnnxSignature } from './onnx-signature.js';
import { SeededRandom } from '@aimass/random';
import { randomDenseNetwork } from './dense/random-dense-network.js';

const E = onnx.TensorProto.DataType;

function tensorInfo(
  name: string,
  elemType: number,
  dims?: onnx.TensorShapeProto.IDimension[],
): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: dims === undefined ? undefined : { dim: dims } } } };
}

function encode(graph: onnx.IGraphProto | undefined, patch: Partial<onnx.IModelProto> = {}): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'hand',
    graph,
    ...patch,
  }).finish();
}

function addGraph(inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[]): onnx.IGraphProto {
  return {
    name: 'g',
    node: [{ opType: 'Identity', input: ['a'], output: ['y'] }],
    input: inputs,
    output: outputs,
  };
}

function signatureError(bytes: Uint8Array): OnnxSignatureError {
  try {
    readOnnxSignature(bytes);
  } catch (err) {
    if (err instanceof OnnxSignatureError) return err;
    throw new Error(`expected OnnxSignatureError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected OnnxSignatureError, but the bytes were accepted');
}

describe('readOnnxSignature on exported dense networks', () => {
  it('reports names, FP32, a dynamic batch, opset and producer', () => {
    const spec = randomDenseNetwork({
      inputDim: 5,
      hidden: [7],
      outputDim: 3,
      seed: 1,
      activation: 'relu',
      inputName: 'pixels',
      outputName: 'logits',
    });
    expect(readOnnxSignature(exportDenseNetwork(spec))).toEqual({
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 5] }],
      outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 3] }],
      opset: 13,
      producer: 'aimass',
    });
  });

  it('reports a pinned batch as its size', () => {
    const spec = randomDenseNetwork({
      inputDim: 2,
      hidden: [],
      outputDim: 1,
      seed: 2,
      activation: 'tanh',
      batch: 16,
    });
    const signature = readOnnxSignature(exportDenseNetwork(spec));
    expect(signature.inputs[0]?.shape).toEqual([16, 2]);
    expect(signature.outputs[0]?.shape).toEqual([16, 1]);
  });

  it('accepts a Node Buffer that is a slice of a larger allocation', () => {
    const bytes = exportDenseNetwork(
      randomDenseNetwork({ inputDim: 3, hidden: [], outputDim: 2, seed: 3, activation: 'relu' }),
    );
    const padded = Buffer.alloc(bytes.length + 16);
    padded.set(bytes, 8);
    expect(readOnnxSignature(padded.subarray(8, 8 + bytes.length)).inputs[0]?.name).toBe('input');
  });
});

describe('readOnnxSignature on hand-written models', () => {
  it('leaves out graph inputs that are initializers', () => {
    const graph: onnx.IGraphProto = {
      ...addGraph(
        [tensorInfo('a', E.FLOAT, [{ dimValue: 2 }]), tensorInfo('w', E.FLOAT, [{ dimValue: 2 }])],
        [tensorInfo('y', E.FLOAT, [{ dimValue: 2 }])],
      ),
      initializer: [{ name: 'w', dims: [2], dataType: E.FLOAT, floatData: [1, 2] }],
    };
    expect(readOnnxSignature(encode(graph)).inputs.map((i) => i.name)).toEqual(['a']);
  });

  it('maps symbolic and unknown dimensions to -1, keeps zero and large sizes', () => {
    const dims = [{ dimParam: 'n' }, {}, { dimValue: 0 }, { dimValue: 3_000_000_000 }];
    const bytes = encode(addGraph([tensorInfo('a', E.INT64, dims)], [tensorInfo('y', E.STRING, [])]));
    const signature = readOnnxSignature(bytes);
    expect(signature.inputs).toEqual([{ name: 'a', datatype: 'INT64', shape: [-1, -1, 0, 3_000_000_000] }]);
    expect(signature.outputs).toEqual([{ name: 'y', datatype: 'BYTES', shape: [] }]);
    expect(signature.opset).toBe(17);
    expect(signature.producer).toBe('hand');
  });

  it('reports opset 0 when only custom domains are imported', () => {
    const bytes = encode(addGraph([tensorInfo('a', E.FLOAT, [])], [tensorInfo('y', E.FLOAT, [])]), {
      opsetImport: [{ domain: 'ai.onnx.ml', version: 3 }],
    });
    expect(readOnnxSignature(bytes).opset).toBe(0);
  });

  const unsupported: [string, Uint8Array, RegExp][] = [
    [
      'a sequence input',
      encode(
        addGraph(
          [{ name: 'seq', type: { sequenceType: { elemType: { tensorType: { elemType: E.FLOAT } } } } }],
          [tensorInfo('y', E.FLOAT, [])],
        ),
      ),
      /input 'seq' is a sequence; only dense tensor inputs and outputs can be served/,
    ],
    [
      'a map output',
      encode(
        addGraph(
          [tensorInfo('a', E.FLOAT, [])],
          [
            {
              name: 'probs',
              type: { mapType: { keyType: E.INT64, valueType: { tensorType: { elemType: E.FLOAT } } } },
            },
          ],
        ),
      ),
      /output 'probs' is a map/,
    ],
    [
      'an untyped input',
      encode(addGraph([{ name: 'bare' }], [tensorInfo('y', E.FLOAT, [])])),
      /input 'bare' is untyped/,
    ],
    [
      'a bfloat16 output',
      encode(addGraph([tensorInfo('a', E.FLOAT, [])], [tensorInfo('half', E.BFLOAT16, [])])),
      /output 'half' has element type BFLOAT16, which has no Open Inference Protocol datatype/,
    ],
    [
      'an input of undefined element type',
      encode(addGraph([tensorInfo('a', E.UNDEFINED, [])], [tensorInfo('y', E.FLOAT, [])])),
      /input 'a' has element type UNDEFINED/,
    ],
    [
      'an input of unknown rank',
      encode(addGraph([tensorInfo('a', E.FLOAT)], [tensorInfo('y', E.FLOAT, [])])),
      /input 'a' has no shape \(unknown rank\)/,
    ],
    [
      'a negative dimension',
      encode(addGraph([tensorInfo('a', E.FLOAT, [{ dimValue: -4 }])], [tensorInfo('y', E.FLOAT, [])])),
      /input 'a' dimension 0 is -4; sizes cannot be negative/,
    ],
    ['a model without a graph', encode(undefined), /^not an ONNX model: the model has no graph$/],
    [
      'a graph without outputs',
      encode(addGraph([tensorInfo('a', E.FLOAT, [])], [])),
      /^not an ONNX model: the graph declares no outputs$/,
    ],
    [
      'ir_version 0',
      encode(addGraph([], [tensorInfo('y', E.FLOAT, [])]), { irVersion: 0 }),
      /^not an ONNX model: ir_version is 0, expected 3 or later$/,
    ],
    [
      'no opset import',
      encode(addGraph([], [tensorInfo('y', E.FLOAT, [])]), { opsetImport: [] }),
      /^not an ONNX model: the model imports no operator set$/,
    ],
  ];

  it.each(unsupported)('rejects %s', (_label, bytes, message) => {
    expect(signatureError(bytes).message).toMatch(message);
  });
});

describe('readOnnxSignature on bytes that are not an ONNX model', () => {
  const model = exportDenseNetwork(
    randomDenseNetwork({ inputDim: 8, hidden: [6], outputDim: 4, seed: 4, activation: 'sigmoid' }),
  );

  it.each<[string, Uint8Array]>([
    ['empty', new Uint8Array()],
    ['JSON text', new TextEncoder().encode('{"inputs":[{"name":"x","shape":[1,3]}]}')],
    ['plain text', new TextEncoder().encode('hello, this is a README, not a model\n')],
    ['a zip header', Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00)],
    ['a single zero byte', Uint8Array.of(0)],
    ['deeply nested protobuf groups', new Uint8Array(200_000).fill(0x7b)],
  ])('%s', (_label, bytes) => {
    expect(signatureError(bytes).message).toMatch(/^not an ONNX model: /);
  });

  it('rejects a model cut short at any of many points', () => {
    for (let cut = 1; cut < model.length; cut += 7) {
      expect(signatureError(model.subarray(0, cut)).message, `cut at ${cut}`).toMatch(/^not an ONNX model: /);
    }
  });

  it('rejects a thousand buffers of seeded random bytes', () => {
    const rng = new SeededRandom(2024);
    const next = (): number => rng.next();
    for (let i = 0; i < 1000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 600) }, () => Math.floor(next() * 256));
      expect(signatureError(bytes).message, `buffer ${i}`).toMatch(
        /^not an ONNX model: |has element type|is untyped|no shape/,
      );
    }
  });

  it('rejects a value that is not bytes at all', () => {
    expect(signatureError('model.onnx' as unknown as Uint8Array).message).toBe(
      'not an ONNX model: expected the model file as bytes',
    );
  });
});
