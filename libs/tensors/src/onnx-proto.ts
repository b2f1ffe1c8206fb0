// onnx-proto is CommonJS whose exports Node cannot detect statically; this is the one ESM bridge.
import onnxProto from 'onnx-proto';

export import onnx = onnxProto.onnx;
