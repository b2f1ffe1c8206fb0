import { datatypeToOnnxElemType, type Datatype, onnx } from '@aimass/tensors';
import { encodeOnnxModel } from './onnx-model.js';
import { OnnxExportError } from './onnx-errors.js';

export interface IdentityModelOptions {
  readonly datatype: Datatype;
  /** Dimensions of the input and both outputs; -1 is a symbolic (any-size) dimension. */
  readonly shape: readonly number[];
  /** Names of the inputs (default `input`). */
  readonly inputNames?: readonly string[];
  /** Names of the outputs (default `output`, `copy`); output i is an Identity of input i modulo the input count. */
  readonly outputNames?: readonly string[];
}

/**
 * A tiny ONNX model for one datatype: each output is an Identity of an input. ONNX Identity (opset
 * 13) accepts every tensor type onnxruntime serves, which makes it the model for checking that a
 * datatype crosses a serving path bit for bit.
 */
export function exportIdentityModel(options: IdentityModelOptions): Uint8Array {
  const inputNames = options.inputNames ?? ['input'];
  const outputNames = options.outputNames ?? ['output', 'copy'];
  if (outputNames.length === 0 || inputNames.length === 0)
    throw new OnnxExportError('cannot export identity model: it needs at least one input and one output');
  if (new Set([...inputNames, ...outputNames]).size !== outputNames.length + inputNames.length) {
    throw new OnnxExportError('cannot export identity model: input and output names must all differ');
  }
  const elemType = datatypeToOnnxElemType(options.datatype);
  const valueInfo = (name: string): onnx.IValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: options.shape.map((d, i) => (d < 0 ? { dimParam: `d${i}` } : { dimValue: d })) },
      },
    },
  });
  return encodeOnnxModel({
    name: `identity_${options.datatype.toLowerCase()}`,
    node: outputNames.map((out, i) => ({
      name: `${out}.Identity`,
      opType: 'Identity',
      input: [inputNames[i % inputNames.length]!],
      output: [out],
    })),
    input: inputNames.map(valueInfo),
    output: outputNames.map(valueInfo),
  });
}
