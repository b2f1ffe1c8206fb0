import { DATATYPES, datatypeToOnnxElemType, datatypeToOrtType, onnx } from '@aimass/tensors';
import { InferenceSession } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxSignature } from './onnx-signature.js';

/** A one-node Identity model whose input and output have the given ONNX element type. */
function identityModel(elemType: number): Uint8Array {
  const info = (name: string): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [{ dimValue: 2 }] } } },
  });
  const model: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'identity',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [info('x')],
      output: [info('y')],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

describe('datatypes in ONNX models', () => {
  describe.each(DATATYPES)('%s', (dt) => {
    it('is the element type ORT and the signature reader report for an ONNX model of that type', async () => {
      const bytes = identityModel(datatypeToOnnxElemType(dt));
      const session = await InferenceSession.create(bytes);
      try {
        expect(session.inputMetadata[0]).toMatchObject({
          name: 'x',
          isTensor: true,
          type: datatypeToOrtType(dt),
        });
      } finally {
        await session.release();
      }
      expect(readOnnxSignature(bytes).inputs).toEqual([{ name: 'x', datatype: dt, shape: [2] }]);
    });
  });
});
