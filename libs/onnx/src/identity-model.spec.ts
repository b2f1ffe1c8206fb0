import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxExportError } from './onnx-errors.js';
import { exportIdentityModel } from './identity-model.js';
import { readOnnxSignature } from './onnx-signature.js';

describe('exportIdentityModel', () => {
  it('writes a model whose outputs are its input, with the declared datatype and shape', async () => {
    const bytes = exportIdentityModel({ datatype: 'INT16', shape: [-1, 2] });
    expect(readOnnxSignature(bytes)).toMatchObject({
      inputs: [{ name: 'input', datatype: 'INT16', shape: [-1, 2] }],
      outputs: [
        { name: 'output', datatype: 'INT16', shape: [-1, 2] },
        { name: 'copy', datatype: 'INT16', shape: [-1, 2] },
      ],
    });
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ input: new ort.Tensor('int16', Int16Array.of(1, -2, 3, -4), [2, 2]) });
    expect(Array.from(out.copy!.data as Int16Array)).toEqual([1, -2, 3, -4]);
    await session.release();
  });

  it('refuses colliding names', () => {
    expect(() => exportIdentityModel({ datatype: 'FP32', shape: [1], outputNames: ['input'] })).toThrow(
      OnnxExportError,
    );
  });
});
