import { OnnxExportError } from './onnx-errors.js';
import { onnx } from '@aimass/tensors';

// What every ONNX model aimass writes declares about itself.
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 13;
export const ONNX_PRODUCER = 'aimass';

/** An aimass ONNX model around `graph`, encoded; an encoding failure is an OnnxExportError naming the graph. */
export function encodeOnnxModel(graph: onnx.IGraphProto, docString?: string): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: ONNX_PRODUCER,
    ...(docString === undefined ? {} : { docString }),
    graph,
  };
  try {
    // A standalone copy: protobufjs may hand back a slice of Node's shared Buffer pool.
    return new Uint8Array(onnx.ModelProto.encode(model).finish());
  } catch (err) {
    throw new OnnxExportError(
      `cannot encode ${graph.name ?? 'the graph'}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
