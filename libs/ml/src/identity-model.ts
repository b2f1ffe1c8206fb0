import { datatypeToOnnxElemType, type Datatype } from './datatypes.js';
import { ONNX_IR_VERSION, ONNX_OPSET, ONNX_PRODUCER } from './dense-network.js';
import { OnnxExportError } from './onnx-errors.js';
import { onnx } from './onnx-proto.js';

export interface IdentityModelOptions {
  readonly datatype: Datatype;
  /** Dimensions of the input and both outputs; -1 is a symbolic (any-size) dimension. */
  readonly shape: readonly number[];
  readonly inputName?: string;
  /** Names of the outputs, each an Identity of the input (default `output`, `copy`). */
  readonly outputNames?: readonly string[];
}

/**
 * A tiny ONNX model for one datatype: each output is an Identity of the input. ONNX Identity (opset
 * 13) accepts every tensor type onnxruntime serves, which makes it the model for checking that a
 * datatype crosses a serving path bit for bit.
 */
export function exportIdentityModel(options: IdentityModelOptions): Uint8Array {
  const inputName = options.inputName ?? 'input';
  const outputNames = options.outputNames ?? ['output', 'copy'];
  if (outputNames.length === 0) throw new OnnxExportError('cannot export identity model: it needs at least one output');
  if (new Set([inputName, ...outputNames]).size !== outputNames.length + 1) {
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
  const model: onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: ONNX_PRODUCER,
    graph: {
      name: `identity_${options.datatype.toLowerCase()}`,
      node: outputNames.map((out) => ({ name: `${out}.Identity`, opType: 'Identity', input: [inputName], output: [out] })),
      input: [valueInfo(inputName)],
      output: outputNames.map(valueInfo),
    },
  };
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}
