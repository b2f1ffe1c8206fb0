export {
  DATATYPES,
  type Datatype,
  type DatatypeArrayConstructor,
  type DatatypeArrayConstructors,
  type FixedSizeDatatype,
  type OrtTensorType,
  datatypeByteSize,
  datatypeToOnnxElemType,
  datatypeToOrtType,
  isDatatype,
  onnxElemTypeToDatatype,
  ortTypeToDatatype,
  typedArrayFor,
} from './datatypes.js';
export {
  CONTENTS_FIELD,
  TensorCodecError,
  decodeRaw,
  decodeTypedContents,
  elementCount,
  encodeRaw,
  type TensorData,
  type TypedArray,
} from './tensor-codec.js';
export { type DecodedTensor, decodeTensorProto } from './tensor-proto.js';
// ONNX's protobuf bindings: datatypes translate to ONNX element types, so the bridge sits at the
// bottom of the stack and @aimass/onnx and @aimass/gmm build their graphs with it.
export { onnx } from './onnx-proto.js';
